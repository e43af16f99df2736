from tests.conftest import AppClient


async def test_sign_up_then_viewer(app_client: AppClient) -> None:
    token = await app_client.sign_up()
    data = await app_client.data("{ viewer { displayName email } }", token=token)
    assert data["viewer"] == {"displayName": "Ada", "email": "ada@example.com"}
