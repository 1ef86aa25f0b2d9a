"""The store's Lua scripts: every state transition of a run is one atomic script.

Why Lua and not client-side WATCH/MULTI: a transition (claim, renew, finish, cancel, lease expiry) reads the
status and the fencing token and writes the record, its indexes, the lease table and the metrics together; in
a script that cannot interleave with another process's transition, so a late write from a fenced-out worker,
a cancel racing a finish, or two workers claiming one run cannot corrupt anything. Times come from Redis's
own clock (``TIME``), so hosts with skewed clocks still agree on lease expiry.

Conventions: ``ARGV[1]`` is the key prefix; keys are derived from it (the store targets one Redis server or a
Sentinel-managed primary, not Redis Cluster). Times are milliseconds since the epoch.
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function runkey(id) return P .. ':run:' .. id end
local function set_status(id, key, old, new)
  local seq = redis.call('HGET', key, 'seq') or '0'
  if old and old ~= '' then redis.call('ZREM', P .. ':runs:status:' .. old, id) end
  redis.call('ZADD', P .. ':runs:status:' .. new, seq, id)
  redis.call('HSET', key, 'status', new)
  -- Wakes the run's log followers (keys.run_events); a day is longer than any follower waits between polls.
  local ev = P .. ':runev:' .. id
  redis.call('XADD', ev, 'MAXLEN', '1', '*', 's', new)
  redis.call('PEXPIRE', ev, 86400000)
end
local BUCKETS = {5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800}
local function observe(hash, labels, value)
  for _, le in ipairs(BUCKETS) do
    if value <= le then redis.call('HINCRBY', hash, labels .. '|' .. le, 1) end
  end
  redis.call('HINCRBY', hash, labels .. '|+Inf', 1)
  redis.call('HINCRBYFLOAT', hash, labels .. '|sum', value)
end
local function log_append(id, key, chunk, force, cap)
  local size = tonumber(redis.call('HGET', key, 'logBytes') or '0')
  if (not force) and size + #chunk > cap then
    if redis.call('HGET', key, 'logTruncated') ~= '1' then
      local marker = '[tasks-engine] log truncated: this run reached the ' .. cap ..
        '-byte log limit (service.logMaxBytes); further output is dropped\n'
      redis.call('XADD', P .. ':log:' .. id, size .. '-1', 'd', marker)
      size = size + #marker
      redis.call('HSET', key, 'logTruncated', '1', 'logBytes', size)
    end
    return size
  end
  redis.call('XADD', P .. ':log:' .. id, size .. '-1', 'd', chunk)
  size = size + #chunk
  redis.call('HSET', key, 'logBytes', size)
  return size
end
-- A run of a task with --max-concurrent-runs holds a slot from its claim to its end (P:active:task:<name>);
-- runs claimed while the task is at its cap wait in P:waiting:task:<name> (by seq) without a broker message.
-- Freeing a slot wakes the oldest waiting run: its id goes to P:wake, which the process that ended the run
-- drains and publishes (the reaper publishes it if that process dies first: it is Queued and undispatched).
local function release_slot(id, key, now)
  local task = redis.call('HGET', key, 'task')
  if not task or task == '' then return end
  local active, waiting = P .. ':active:task:' .. task, P .. ':waiting:task:' .. task
  redis.call('SREM', active, id)
  redis.call('ZREM', waiting, id)
  redis.call('HDEL', key, 'waiting')
  local cap = tonumber(redis.call('HGET', P .. ':task:' .. task, 'maxConcurrentRuns') or '0') or 0
  local free = -1  -- no cap (any more): wake every waiting run
  if cap > 0 then
    free = cap - redis.call('SCARD', active)
    if free <= 0 then return end
  end
  while free ~= 0 do
    local nxt = redis.call('ZRANGE', waiting, 0, 0)[1]
    if not nxt then return end
    redis.call('ZREM', waiting, nxt)
    local nkey = runkey(nxt)
    if redis.call('HGET', nkey, 'status') == 'Queued' then
      redis.call('HDEL', nkey, 'waiting')
      redis.call('HSET', nkey, 'dispatchedAt', now)
      redis.call('RPUSH', P .. ':wake', nxt)
      free = free - 1
    end
  end
end
local function finish(id, key, status, message, retention_ms, now)
  release_slot(id, key, now)
  local old = redis.call('HGET', key, 'status')
  set_status(id, key, old, status)
  redis.call('HSET', key, 'finishTime', now, 'lastUpdated', now)
  if message and message ~= '' then redis.call('HSET', key, 'runErrorMessage', message) end
  redis.call('ZREM', P .. ':leases', id)
  local queue = redis.call('HGET', key, 'queue')
  if queue then redis.call('ZREM', P .. ':pending:' .. queue, id) end
  if retention_ms > 0 then
    redis.call('PEXPIRE', key, retention_ms)
    redis.call('PEXPIRE', P .. ':log:' .. id, retention_ms)
  end
  local trigger = redis.call('HGET', key, 'trigger') or ''
  local platform = redis.call('HGET', key, 'platformName') or ''
  redis.call('HINCRBY', P .. ':metrics:runs_finished', status .. '|' .. trigger .. '|' .. platform, 1)
  local started = tonumber(redis.call('HGET', key, 'startTime') or '')
  if started then observe(P .. ':metrics:run_duration', status .. '|' .. trigger, (now - started) / 1000) end
end
local function is_final(status)
  return status == 'Succeeded' or status == 'Failed' or status == 'Canceled' or status == 'Error'
    or status == 'Timeout'
end
"""

# ARGV: prefix, id prefix, queue, unique key, unique mode, unique ttl ms, outbox field, brief (0/1), then
# field/value pairs of the new record. Returns the new record (HGETALL), or with brief {'created', <run id>}
# (a cascade queueing a thousand runs needs their ids, not a thousand records to parse). The id counter and
# the record are written together, so an id is never reused, and the caller needs no second round trip to
# show what it created.
#
# Exactly-once for triggers, in the same script as the record: a *unique key* (a full key name) maps to the
# run it created; mode ``once`` never creates a second run for it (a timer occurrence), mode ``active`` only
# while that run is Queued, Started or Running (a webhook's (task, repository, ref, commit)). Either way the
# answer is ``{'existing', <run id>}``. An *outbox field* is a decided cascade run (P:cascade:outbox): it is
# removed here, so the run is created exactly once however many processes try; ``{'gone'}`` when it was.
CREATE = PRELUDE + r"""
local ukey, umode, uttl, outbox = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
if ukey ~= '' then
  local existing = redis.call('GET', ukey)
  if existing then
    if umode == 'once' then return {'existing', existing} end
    local st = redis.call('HGET', runkey(existing), 'status')
    if st == 'Queued' or st == 'Started' or st == 'Running' then return {'existing', existing} end
  end
end
if outbox ~= '' and redis.call('HDEL', P .. ':cascade:outbox', outbox) == 0 then return {'gone'} end
local n = redis.call('INCR', P .. ':seq:run')
local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
local s, x = '', n
while x > 0 do
  local r = x % 36
  s = string.sub(digits, r + 1, r + 1) .. s
  x = math.floor(x / 36)
end
local id = ARGV[2] .. s
local key = runkey(id)
if redis.call('EXISTS', key) == 1 then return redis.error_reply('run id ' .. id .. ' exists') end
local now = now_ms()
-- dispatchedAt: the caller publishes right after; if that fails, the reaper publishes again later.
local fields = {'runId', id, 'seq', n, 'status', 'Queued', 'createTime', now, 'lastUpdated', now,
  'dispatchedAt', now, 'attempt', 0, 'logBytes', 0, 'queue', ARGV[3]}
for i = 9, #ARGV, 2 do
  table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
end
redis.call('HSET', key, unpack(fields))
if ukey ~= '' then redis.call('SET', ukey, id, 'PX', uttl) end
redis.call('ZADD', P .. ':runs', n, id)
redis.call('ZADD', P .. ':runs:status:Queued', n, id)
redis.call('ZADD', P .. ':pending:' .. ARGV[3], n, id)
local task = redis.call('HGET', key, 'task')
if task and task ~= '' then redis.call('ZADD', P .. ':runs:task:' .. task, n, id) end
local trigger = redis.call('HGET', key, 'trigger')
if trigger and trigger ~= '' then redis.call('ZADD', P .. ':runs:trigger:' .. trigger, n, id) end
if ARGV[8] == '1' then return {'created', id} end
return redis.call('HGETALL', key)
"""

# ARGV: prefix, run id. Records that the run's message was published now.
DISPATCHED = PRELUDE + r"""
local key = runkey(ARGV[2])
if redis.call('HGET', key, 'status') ~= 'Queued' then return 0 end
redis.call('HSET', key, 'dispatchedAt', now_ms())
redis.call('HINCRBY', key, 'dispatches', 1)
return 1
"""

# ARGV: prefix, run id, worker id, lease ttl ms, retention ms, log line for a run of a disabled task.
# Returns {token, attempt, now, createTime} or {0, status}; {0, 'disabled'} when the run's task was disabled
# meanwhile (the run ends Canceled: a disabled task never starts), {0, 'waiting'} when the task is at its
# --max-concurrent-runs cap (the run waits, Queued, until one of the task's runs ends and wakes it).
CLAIM = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local status = redis.call('HGET', key, 'status')
if status ~= 'Queued' then return {0, status or ''} end
local now = now_ms()
local task = redis.call('HGET', key, 'task')
if task and task ~= '' then
  local tkey = P .. ':task:' .. task
  if redis.call('HGET', tkey, 'status') == 'Disabled' then
    log_append(id, key, ARGV[6], true, 0)
    finish(id, key, 'Canceled', 'the task was disabled before this run started', tonumber(ARGV[5]), now)
    return {0, 'disabled'}
  end
  local cap = tonumber(redis.call('HGET', tkey, 'maxConcurrentRuns') or '0') or 0
  local active = P .. ':active:task:' .. task
  if cap > 0 and redis.call('SCARD', active) >= cap and redis.call('SISMEMBER', active, id) == 0 then
    redis.call('ZADD', P .. ':waiting:task:' .. task, redis.call('HGET', key, 'seq') or 0, id)
    redis.call('HSET', key, 'waiting', 1)
    return {0, 'waiting'}
  end
  redis.call('SADD', active, id)
end
local token = redis.call('INCR', P .. ':seq:lease')
local attempt = tonumber(redis.call('HGET', key, 'attempt') or '0') + 1
set_status(id, key, status, 'Started')
redis.call('HSET', key, 'token', token, 'worker', ARGV[3], 'attempt', attempt,
  'leaseExpires', now + tonumber(ARGV[4]), 'lastUpdated', now, 'stepsStarted', 0)
if not redis.call('HGET', key, 'startTime') then redis.call('HSET', key, 'startTime', now) end
local queue = redis.call('HGET', key, 'queue')
if queue then redis.call('ZREM', P .. ':pending:' .. queue, id) end
redis.call('ZADD', P .. ':leases', now + tonumber(ARGV[4]), id)
if attempt == 1 then
  local created = tonumber(redis.call('HGET', key, 'createTime') or now)
  observe(P .. ':metrics:queue_wait', redis.call('HGET', key, 'platformName') or '', (now - created) / 1000)
end
return {token, attempt, now, redis.call('HGET', key, 'createTime')}
"""

# ARGV: prefix, run id, token, lease ttl ms. Returns 'held', 'cancel' or 'lost'.
RENEW = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local vals = redis.call('HMGET', key, 'token', 'status', 'cancel')
if vals[1] ~= ARGV[3] or not vals[2] or is_final(vals[2]) or vals[2] == 'Queued' then return 'lost' end
local expires = now_ms() + tonumber(ARGV[4])
redis.call('HSET', key, 'leaseExpires', expires)
redis.call('ZADD', P .. ':leases', expires, id)
if vals[3] == '1' then return 'cancel' end
return 'held'
"""

# ARGV: prefix, run id, token, new status ('' = keep), then field/value pairs.
# Writes only while the token holds and the run is active; moves Started -> Running only forward.
UPDATE = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local vals = redis.call('HMGET', key, 'token', 'status')
if vals[1] ~= ARGV[3] or not vals[2] or is_final(vals[2]) or vals[2] == 'Queued' then return 0 end
local now = now_ms()
if ARGV[4] == 'Running' and vals[2] == 'Started' then set_status(id, key, vals[2], 'Running') end
local fields = {'lastUpdated', now}
for i = 5, #ARGV, 2 do
  table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
end
redis.call('HSET', key, unpack(fields))
return 1
"""

# ARGV: prefix, run id, token ('' = no check: the reaper and the API), cap, force (0/1), chunks...
# Returns the log size after the append, or -1 when fenced out.
APPEND_LOG = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local vals = redis.call('HMGET', key, 'token', 'status')
if not vals[2] then return -1 end
if ARGV[3] ~= '' and (vals[1] ~= ARGV[3] or is_final(vals[2]) or vals[2] == 'Queued') then return -1 end
local size = 0
for i = 6, #ARGV do
  size = log_append(id, key, ARGV[i], ARGV[5] == '1', tonumber(ARGV[4]))
end
if #ARGV < 6 then size = tonumber(redis.call('HGET', key, 'logBytes') or '0') end
return size
"""

# ARGV: prefix, run id, token, status, message, retention ms, then field/value pairs (steps, outputImages...).
# Returns 1, or 0 when fenced out or already final (a status never moves backwards).
FINISH = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local vals = redis.call('HMGET', key, 'token', 'status')
if not vals[2] or is_final(vals[2]) or vals[1] ~= ARGV[3] then return 0 end
local now = now_ms()
for i = 7, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
finish(id, key, ARGV[4], ARGV[5], tonumber(ARGV[6]), now)
return 1
"""

# ARGV: prefix, run id, retention ms, final log line for a queued run.
# Returns 'Canceled' (was queued: done now), 'requested' (a worker will stop it), or the final status.
CANCEL = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local status = redis.call('HGET', key, 'status')
if not status then return '' end
if is_final(status) then return status end
if status == 'Queued' then
  log_append(id, key, ARGV[4], true, 0)
  finish(id, key, 'Canceled', 'canceled before it started', tonumber(ARGV[3]), now_ms())
  return 'Canceled'
end
redis.call('HSET', key, 'cancel', 1, 'lastUpdated', now_ms())
return 'requested'
"""

# ARGV: prefix, grace ms, limit. Returns ids whose lease expired more than grace ago.
EXPIRED = PRELUDE + r"""
return redis.call('ZRANGEBYSCORE', P .. ':leases', '-inf', now_ms() - tonumber(ARGV[2]), 'LIMIT', 0,
  tonumber(ARGV[3]))
"""

# ARGV: prefix, run id, grace ms, max attempts (0 = the record's), redeliver started (0/1), retention ms,
#       requeue log line, error log line, error message.
# Takes back a run whose lease expired: re-queues it (new fencing token: the old worker can no longer write)
# or finishes it as Error. Returns 'requeued', 'failed' or '' (lease was renewed meanwhile, or run is final).
LOST = PRELUDE + r"""
local id = ARGV[2]
local key = runkey(id)
local vals = redis.call('HMGET', key, 'status', 'leaseExpires', 'attempt', 'maxAttempts', 'stepsStarted',
  'queue', 'seq', 'platformName')
local now = now_ms()
if not vals[1] or is_final(vals[1]) or vals[1] == 'Queued' then
  redis.call('ZREM', P .. ':leases', id)
  return ''
end
if tonumber(vals[2] or '0') + tonumber(ARGV[3]) > now then return '' end
redis.call('HINCRBY', P .. ':metrics:lease_expired', vals[8] or '', 1)
local attempt = tonumber(vals[3] or '0')
local max = tonumber(ARGV[4])
if max == 0 then max = tonumber(vals[4] or '1') end
local token = redis.call('INCR', P .. ':seq:lease')
redis.call('HSET', key, 'token', token, 'worker', '')
redis.call('ZREM', P .. ':leases', id)
if attempt < max and (vals[5] ~= '1' or ARGV[5] == '1') then
  release_slot(id, key, now)
  log_append(id, key, ARGV[7], true, 0)
  set_status(id, key, vals[1], 'Queued')
  redis.call('HSET', key, 'dispatchedAt', 0, 'lastUpdated', now, 'cancel', 0)
  redis.call('ZADD', P .. ':pending:' .. vals[6], vals[7], id)
  return 'requeued'
end
log_append(id, key, ARGV[8], true, 0)
finish(id, key, 'Error', ARGV[9], tonumber(ARGV[6]), now)
return 'failed'
"""

# ARGV: prefix, worker id, ttl ms, json. Heartbeat of a worker process.
HEARTBEAT = PRELUDE + r"""
local expires = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', P .. ':workers', expires, ARGV[2])
redis.call('SET', P .. ':worker:' .. ARGV[2], ARGV[4], 'PX', tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', P .. ':workers', '-inf', now_ms())
return expires
"""

# ARGV: prefix, name, data json, sealed secrets, status, max concurrent runs (0 = no cap). Creates a task
# unless one has that name. Returns 1/0. Status and cap are fields of their own: the claim script reads them.
CREATE_TASK = PRELUDE + r"""
local key = P .. ':task:' .. ARGV[2]
if redis.call('EXISTS', key) == 1 then return 0 end
redis.call('HSET', key, 'data', ARGV[3], 'secrets', ARGV[4], 'status', ARGV[5], 'maxConcurrentRuns', ARGV[6])
redis.call('ZADD', P .. ':tasks', 0, ARGV[2])
return 1
"""

# ARGV: prefix, name, role, created, sha256. Returns 1, or 0 when the name is taken.
CREATE_TOKEN = PRELUDE + r"""
if redis.call('HSETNX', P .. ':tokens', ARGV[2], ARGV[5]) == 0 then return 0 end
redis.call('HSET', P .. ':token:' .. ARGV[5], 'name', ARGV[2], 'role', ARGV[3], 'created', ARGV[4])
return 1
"""

# ARGV: prefix, name. Returns 1 when a token was deleted.
DELETE_TOKEN = PRELUDE + r"""
local digest = redis.call('HGET', P .. ':tokens', ARGV[2])
if not digest then return 0 end
redis.call('HDEL', P .. ':tokens', ARGV[2])
redis.call('DEL', P .. ':token:' .. digest)
return 1
"""

# ARGV: prefix, lock name, owner, ttl ms. A short lock (SET NX PX) that only its owner may renew.
LOCK = PRELUDE + r"""
local key = P .. ':lock:' .. ARGV[2]
local owner = redis.call('GET', key)
if owner == ARGV[3] then
  redis.call('PEXPIRE', key, tonumber(ARGV[4]))
  return 1
end
if owner then return 0 end
redis.call('SET', key, ARGV[3], 'PX', tonumber(ARGV[4]))
return 1
"""

# ARGV: prefix, expected version, n, (part, field, value) x n, m, (part, field) x m, then (field, value) pairs
# for the outbox. Applies one cascade step's changes to the hashes P:cascade:<part> if the state is still at the
# version the step was computed from (compare-and-set), together with the runs it decided (the outbox, which
# the create script consumes). Returns the new version, or 0 when another process changed the state first.
CASCADE_COMMIT = PRELUDE + r"""
local version = redis.call('GET', P .. ':cascade:version') or '0'
if version ~= ARGV[2] then return 0 end
local i = 3
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', P .. ':cascade:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2]); i = i + 3
end
local m = tonumber(ARGV[i]); i = i + 1
for _ = 1, m do
  redis.call('HDEL', P .. ':cascade:' .. ARGV[i], ARGV[i + 1]); i = i + 2
end
while i < #ARGV do
  redis.call('HSET', P .. ':cascade:outbox', ARGV[i], ARGV[i + 1]); i = i + 2
end
return redis.call('INCR', P .. ':cascade:version')
"""

ALL = {
    "create": CREATE, "dispatched": DISPATCHED, "claim": CLAIM, "renew": RENEW, "update": UPDATE,
    "append_log": APPEND_LOG, "finish": FINISH, "cancel": CANCEL, "expired": EXPIRED, "lost": LOST,
    "heartbeat": HEARTBEAT, "create_task": CREATE_TASK, "create_token": CREATE_TOKEN,
    "delete_token": DELETE_TOKEN, "lock": LOCK, "cascade_commit": CASCADE_COMMIT,
}
