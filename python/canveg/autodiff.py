"""canveg's training loss and its exact gradient inside JAX and PyTorch programs.

Both bridges take a :class:`canveg.LossFunction` (``model.loss_function(forcing, observed, ...)``)
and return a function of one vector, the trained parameters in the order of
``loss_function.names``, that the framework differentiates like its own: the forward pass runs
canveg's model, the backward pass multiplies the incoming cotangent by canveg's gradient (exact
through the fixed-point iteration with ``method="unrolled"``, docs/gradients.md). So the
parameters can come out of the user's own network or transformation and be trained with the
framework's optimisers::

    loss_function = model.loss_function(forcing, "fluxes.csv", batch_size=1024)
    f = canveg.autodiff.torch_loss(loss_function)
    theta = torch.tensor(loss_function.initial, requires_grad=True)
    f(theta).backward()                       # theta.grad == canveg's gradient

JAX and PyTorch are optional: each is imported when its bridge is first asked for. The model
computes in float64; a float32 input (JAX without ``jax_enable_x64``) gets the float64 results
rounded to float32. Only first derivatives are provided (no Hessians, no forward mode).
"""
from __future__ import annotations

import numpy as np

__all__ = ["jax_loss", "torch_loss"]


def _check_shape(loss_function, shape) -> None:
    if tuple(shape) != (len(loss_function),):
        raise ValueError(f"expected the {len(loss_function)} trained parameters as one vector "
                         f"(LossFunction.names), got an array of shape {tuple(shape)}")


def jax_loss(loss_function):
    """``loss_function`` as a JAX function of the parameter vector, differentiable in reverse mode.

    A ``jax.custom_vjp`` whose forward pass and gradient are ``jax.pure_callback`` calls into
    canveg, so it works under ``jax.jit``, ``jax.grad`` and ``jax.value_and_grad``; under
    ``jax.vmap`` the parameter vectors are evaluated one after another.
    """
    import inspect

    import jax

    # One parameter vector after the other under jax.vmap: `vmap_method` from JAX 0.4.34 on (the
    # older `vectorized=False` meant the same and is deprecated there).
    if "vmap_method" in inspect.signature(jax.pure_callback).parameters:
        sequential = {"vmap_method": "sequential"}
    else:
        sequential = {"vectorized": False}

    def host_value(values):
        return np.asarray(loss_function(np.asarray(values, dtype=np.float64)), dtype=values.dtype)

    def host_value_and_gradient(values):
        value, gradient = loss_function.value_and_gradient(np.asarray(values, dtype=np.float64))
        return np.asarray(value, dtype=values.dtype), gradient.astype(values.dtype)

    @jax.custom_vjp
    def loss(values):
        _check_shape(loss_function, values.shape)
        return jax.pure_callback(host_value, jax.ShapeDtypeStruct((), values.dtype), values, **sequential)

    def forward(values):
        _check_shape(loss_function, values.shape)
        shapes = (jax.ShapeDtypeStruct((), values.dtype), jax.ShapeDtypeStruct(values.shape, values.dtype))
        value, gradient = jax.pure_callback(host_value_and_gradient, shapes, values, **sequential)
        return value, gradient

    def backward(gradient, cotangent):
        return (cotangent * gradient,)

    loss.defvjp(forward, backward)
    return loss


_torch_function = None


def _torch_loss_function():
    """The torch.autograd.Function subclass, made once (torch is imported only when asked for)."""
    global _torch_function
    if _torch_function is None:
        import torch

        class CanvegLoss(torch.autograd.Function):
            """canveg's training loss of a parameter vector; backward multiplies by its exact gradient."""

            @staticmethod
            def forward(ctx, values, loss_function):
                _check_shape(loss_function, values.shape)
                x = values.detach().to(device="cpu", dtype=torch.float64).numpy()
                if ctx.needs_input_grad[0]:
                    value, gradient = loss_function.value_and_gradient(x)
                    ctx.save_for_backward(torch.from_numpy(gradient).to(device=values.device, dtype=values.dtype))
                else:
                    value = loss_function(x)
                return torch.tensor(value, dtype=values.dtype, device=values.device)

            @staticmethod
            def backward(ctx, cotangent):
                (gradient,) = ctx.saved_tensors
                return cotangent * gradient, None

        _torch_function = CanvegLoss
    return _torch_function


def torch_loss(loss_function):
    """``loss_function`` as a PyTorch function of the parameter vector (a ``torch.autograd.Function``).

    The gradient is computed with the loss in the forward pass when the input requires it, and
    kept for the backward pass; inputs on another device are copied to the CPU and the results
    returned on the input's device and dtype.
    """
    function = _torch_loss_function()
    return lambda values: function.apply(values, loss_function)
