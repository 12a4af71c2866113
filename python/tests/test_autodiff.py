"""The training loss as a function (canveg.LossFunction) and its JAX and PyTorch bridges against
canveg's own gradient and finite differences. The bridge tests are skipped where JAX or PyTorch
is not installed (scripts/test-python.sh installs both)."""
import numpy as np
import pytest

import canveg
from conftest import model_path

# A hybrid model, so the parameter vector holds the LeafRHDL network's weights besides the scalars.
HYBRID_1L = model_path("US-Bi1_Hybrid-1L-0.5.json")
OPTIONS = dict(batch_size=48, threads=2)


@pytest.fixture(scope="module")
def loss_function(small_files):
    forcing_csv, fluxes_csv = small_files
    model = canveg.load_model(HYBRID_1L)
    return canveg.read_forcing(forcing_csv), fluxes_csv, model, model.loss_function(
        canveg.read_forcing(forcing_csv), fluxes_csv, **OPTIONS)


def checked_parameters(f, theta, gradient):
    """Three scalars and two network weights whose derivative is well above round-off."""
    names = f.names
    scalars = [k for k in range(21) if abs(gradient[k]) * max(abs(theta[k]), 1e-3) > 1e-6 * abs(gradient).max()]
    network = [k for k, n in enumerate(names) if n.startswith("LeafRHDL") and abs(gradient[k]) > 1e-3 * abs(gradient).max()]
    assert len(scalars) >= 3 and len(network) >= 2
    return scalars[:3] + network[:2]


def central_difference(loss, theta, k):
    h = 1e-5 * max(abs(theta[k]), 1e-3)
    up, down = theta.copy(), theta.copy()
    up[k] += h
    down[k] -= h
    return (float(loss(up)) - float(loss(down))) / (2 * h), h


def assert_matches_finite_differences(loss, theta, gradient, f):
    value = float(loss(theta))
    for k in checked_parameters(f, theta, gradient):
        fd, h = central_difference(loss, theta, k)
        assert gradient[k] == pytest.approx(fd, rel=2e-4, abs=1e-9 * abs(value) / h), f.names[k]


def test_loss_function_is_the_models_loss_and_gradient(loss_function):
    forcing, fluxes, model, f = loss_function
    reference = model.loss_and_gradient(forcing, fluxes, **OPTIONS)
    assert f.names == reference.names == list(model.parameters.index)
    np.testing.assert_array_equal(f.initial, model.parameters.to_numpy())
    value, gradient = f.value_and_gradient()
    assert value == reference.loss and f() == pytest.approx(value, rel=1e-12)
    np.testing.assert_array_equal(gradient, reference.gradient)
    assert f.rows == 144 and f.le_weight == 0.5 and len(f) == len(f.names)
    # A mapping sets some parameters by name; the rest stay the model's.
    moved = f.values({"vcopt": f.initial[f.names.index("vcopt")] * 1.1})
    assert f(moved) == f({"vcopt": moved[f.names.index("vcopt")]}) != value
    assert f(moved) == model.with_parameters({"vcopt": moved[f.names.index("vcopt")]}).loss(forcing, fluxes, **OPTIONS)


def test_loss_function_refuses_bad_values(loss_function):
    f = loss_function[3]
    with pytest.raises(canveg.InputError, match=f"the {len(f)} trained parameters"):
        f(f.initial[:-1])
    with pytest.raises(canveg.InputError, match="the .* trained parameters"):
        f(np.zeros((2, len(f))))
    bad = f.initial.copy()
    bad[f.names.index("lleaf")] = np.nan
    with pytest.raises(canveg.InputError, match="field 'lleaf': is not a finite number"):
        f.value_and_gradient(bad)
    with pytest.raises(canveg.InputError, match="field 'leaf_size': not a trained parameter"):
        f({"leaf_size": 0.1})


def test_jax_bridge_is_canvegs_gradient_and_matches_finite_differences(loss_function):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    f = loss_function[3]
    loss = canveg.autodiff.jax_loss(f)
    theta = f.initial
    expected_value, expected_gradient = f.value_and_gradient(theta)
    value, gradient = jax.value_and_grad(loss)(jnp.asarray(theta))
    assert float(value) == expected_value
    np.testing.assert_array_equal(np.asarray(gradient), expected_gradient)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.grad(loss))(jnp.asarray(theta))), expected_gradient)
    assert float(jax.jit(loss)(jnp.asarray(theta))) == pytest.approx(expected_value, rel=1e-12)
    assert_matches_finite_differences(lambda x: loss(jnp.asarray(x)), theta, expected_gradient, f)

    # Coupled to the user's own transformation: parameters = initial + A z; the chain rule gives
    # d loss / d A = gradient z^T and d loss / d z = A^T gradient.
    z = jnp.asarray([0.5, -1.0, 2.0])
    a = jnp.zeros((len(f), 3))
    grad_a, grad_z = jax.grad(lambda a, z: loss(jnp.asarray(theta) + a @ z), argnums=(0, 1))(a, z)
    np.testing.assert_allclose(np.asarray(grad_a), np.outer(expected_gradient, np.asarray(z)), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(np.asarray(grad_z), np.zeros(3))

    # Several parameter vectors at once: one after the other, each its own canveg call.
    k = f.names.index("vcopt")
    batch = np.stack([theta, theta])
    batch[1, k] *= 1.1
    values, gradients = jax.vmap(jax.value_and_grad(loss))(jnp.asarray(batch))
    value1, gradient1 = f.value_and_gradient(batch[1])
    assert float(values[0]) == expected_value and float(values[1]) == value1 != expected_value
    np.testing.assert_array_equal(np.asarray(gradients[1]), gradient1)

    with pytest.raises(ValueError, match="shape"):
        loss(jnp.asarray(theta[:5]))
    # Without x64 JAX works in float32: the float64 results arrive rounded.
    value32 = jax.grad(loss)(jnp.asarray(theta, dtype=jnp.float32))
    assert value32.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(value32), expected_gradient, rtol=1e-3, atol=1e-6 * abs(expected_gradient).max())


def test_torch_bridge_is_canvegs_gradient_and_matches_finite_differences(loss_function):
    torch = pytest.importorskip("torch")

    f = loss_function[3]
    loss = canveg.autodiff.torch_loss(f)
    theta0 = f.initial
    expected_value, expected_gradient = f.value_and_gradient(theta0)
    theta = torch.tensor(theta0, requires_grad=True)
    value = loss(theta)
    value.backward()
    assert value.item() == expected_value and value.dtype == torch.float64
    np.testing.assert_array_equal(theta.grad.numpy(), expected_gradient)
    with torch.no_grad():
        assert loss(torch.tensor(theta0)).item() == pytest.approx(expected_value, rel=1e-12)
    assert_matches_finite_differences(lambda x: loss(torch.tensor(x)).item(), theta0, expected_gradient, f)

    # A network of the user's producing a parameter offset from features: its weight's gradient
    # is canveg's gradient times the features (bias zero-initialised, weights zero).
    torch.manual_seed(0)
    offset = torch.nn.Linear(3, len(f), dtype=torch.float64)
    torch.nn.init.zeros_(offset.weight)
    torch.nn.init.zeros_(offset.bias)
    features = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    loss(torch.tensor(theta0) + offset(features)).backward()
    np.testing.assert_allclose(offset.weight.grad.numpy(), np.outer(expected_gradient, features.numpy()),
                               rtol=1e-15, atol=0)
    np.testing.assert_array_equal(offset.bias.grad.numpy(), expected_gradient)

    with pytest.raises(ValueError, match="shape"):
        loss(torch.tensor(theta0[:5]))
    theta32 = torch.tensor(theta0, dtype=torch.float32, requires_grad=True)
    loss(theta32).backward()
    assert theta32.grad.dtype == torch.float32
