# gunicorn settings for an HCC Pay app node: `gunicorn -c deploy/gunicorn.conf.py 'api:create_app()'`.
# App processes keep no state; run as many nodes as needed behind the load balancer.
import multiprocessing
import os

bind = os.environ.get("HCCPAY_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("HCCPAY_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
graceful_timeout = 30          # SIGTERM: finish in-flight requests (callbacks commit before they answer)
max_requests = 10000           # recycle workers now and then
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("HCCPAY_PROXY_IPS", "127.0.0.1")
