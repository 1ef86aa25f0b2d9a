"""The CLI's remote mode: the same commands as local mode, answered by a Tasks Engine server over HTTP.

Only ``client.py`` speaks HTTP (httpx); the other modules build request bodies from flags (``requests``),
pack and upload contexts (``upload``), follow a run to its end (``follow``) and print az's console lines
(``console``). Nothing here imports the Docker backend, so a remote ``run`` starts quickly.
"""
