from django.test import Client


def test_healthz_reports_database_ok(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
