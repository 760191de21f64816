"""The reference point of the issue's callback goal: a bare Flask app (no database, no
middleware) under gunicorn with 2 sync workers. `bench/callbacks.py --bare` measures it with
the same load generator, to tell the machine's speed apart from the service's."""
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
