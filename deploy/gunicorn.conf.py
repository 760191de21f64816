# gunicorn settings for an HCC Pay app node: `gunicorn -c deploy/gunicorn.conf.py 'api:create_app()'`.
# App processes keep no state; run as many nodes as needed behind the load balancer.
import multiprocessing
import os

bind = os.environ.get("HCCPAY_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("HCCPAY_WORKERS", multiprocessing.cpu_count()))
# Threads, because a request spends much of its time waiting for PostgreSQL: a callback is
# answered only after its commit is flushed to disk, and a sync worker would sit idle meanwhile.
worker_class = "gthread"
threads = int(os.environ.get("HCCPAY_THREADS", 4))
timeout = 30
graceful_timeout = 30          # SIGTERM: finish in-flight requests (callbacks commit before they answer)
max_requests = 100000          # recycle workers now and then (each restart costs an app start-up)
max_requests_jitter = 10000
accesslog = os.environ.get("HCCPAY_ACCESS_LOG", "-") or None  # empty: no access log (benches)
errorlog = "-"
forwarded_allow_ips = os.environ.get("HCCPAY_PROXY_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The app is built: keep its start-up objects out of every garbage collection (kernel.heap)."""
    from kernel.heap import freeze_startup_objects

    freeze_startup_objects()
