# gunicorn settings for an HCC Pay app node: `gunicorn -c deploy/gunicorn.conf.py 'api:create_app()'`.
# App processes keep no state; run as many nodes as needed behind the load balancer.
import multiprocessing
import os



def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"configuration error: {name} must be a whole number of at least 1 (got {raw!r})")
    return int(raw)


# Every interface by default, for a load balancer on another host (deploy/nginx.conf): let only the
# proxies reach this port (firewall), or /metrics and the rate limits could be gone around.
bind = os.environ.get("HCCPAY_BIND", "0.0.0.0:8000")
workers = _whole("HCCPAY_WORKERS", multiprocessing.cpu_count())
# Threads, because a request spends much of its time waiting for PostgreSQL: a callback is
# answered only after its commit is flushed to disk, and a sync worker would sit idle meanwhile.
worker_class = "gthread"
threads = _whole("HCCPAY_THREADS", 4)
timeout = 30
graceful_timeout = 30          # SIGTERM: finish in-flight requests (callbacks commit before they answer)
max_requests = 100000          # recycle workers now and then (each restart costs an app start-up)
max_requests_jitter = 10000
# Off unless asked for: the app logs every request itself as JSON with its route pattern, while
# gunicorn's access log writes raw paths, payment codes (the key to a receipt with a name) included.
accesslog = os.environ.get("HCCPAY_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("HCCPAY_PROXY_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The app is built: keep its start-up objects out of every garbage collection (kernel.heap)."""
    from kernel.heap import freeze_startup_objects

    freeze_startup_objects()
