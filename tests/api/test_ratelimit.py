"""Rate limits: token issuing per IP, writes per token or session, 429 with the envelope."""

from __future__ import annotations

from gongjian import create_app
from gongjian.ratelimit import login_limit


def test_issuing_tokens_is_limited_per_ip(api):
    attempt = {"email": "nobody@example.cn", "password": "whatever"}
    for _ in range(30):
        assert api.post("/api/v1/tokens", json=attempt).status_code == 401
    refused = api.post("/api/v1/tokens", json=attempt)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.get_json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    other_ip = api.post("/api/v1/tokens", json=attempt,
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 401


def test_writes_are_limited_per_token(api, app, make):
    app.config["RATE_LIMIT_WRITES"] = "3 per minute"
    first, second = make.user(is_admin=True), make.user(is_admin=True)
    make.commit()
    for i in range(3):
        assert api.post("/api/v1/streets", json={"name": f"街道{i}"}, as_=first).status_code == 201
    refused = api.post("/api/v1/streets", json={"name": "又一条"}, as_=first)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert api.get("/api/v1/streets", as_=first).status_code == 200
    assert api.post("/api/v1/streets", json={"name": "别人的"}, as_=second).status_code == 201


def test_limits_can_be_switched_off(api, app, make):
    app.config["RATE_LIMIT_WRITES"] = "2 per minute"
    app.config["RATE_LIMITS"] = "off"
    admin = make.user(is_admin=True)
    make.commit()
    for i in range(5):
        assert api.post("/api/v1/streets", json={"name": f"街道{i}"}, as_=admin).status_code == 201


def test_the_login_decorator_counts_posts_per_ip():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "RATE_LIMIT_LOGIN": "2 per minute", "WTF_CSRF_ENABLED": False})

    @app.route("/sign-in", methods=["GET", "POST"])
    @login_limit
    def sign_in():
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/sign-in").status_code == 200
    assert client.post("/sign-in").status_code == 200
    assert client.post("/sign-in").status_code == 200
    assert client.post("/sign-in").status_code == 429
