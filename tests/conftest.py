import jax
import pytest

# The CLI turns float64 on at start-up; the tests run the same way.
jax.config.update("jax_enable_x64", True)


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()
