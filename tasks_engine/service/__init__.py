"""The service layer: the shared run orchestration (``runner``) and the use cases over the run store.

No third-party SDK is imported here directly: Redis lives in ``tasks_engine.store``, Celery in ``workers``,
FastAPI in ``tasks_engine.api``; this layer is what all of them call.
"""
