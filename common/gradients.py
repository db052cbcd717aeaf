"""One gradient step that reads the same on every backend the custom train steps support.

AdaIN, the VAE and the GAN write their own `train_step` (as the keras-io examples do); only the
gradient itself is backend-specific: TensorFlow records the forward pass on a GradientTape, torch
on its autograd graph. `descend` hides that difference, so each model keeps one train step;
`gradient_function` does the same for a gradient with respect to an input (Gatys optimises the
image itself), and `no_gradients` keeps torch from recording inference (TensorFlow never does
outside a tape); `inference_function` runs a forward pass as fast as each backend allows.
JAX is not supported: its trainer needs a stateless train step (variables passed in and out),
a different shape for all three models.
"""
import contextlib

import keras


def descend(optimizer, variables, loss_fn):
    """Run loss_fn() -> (loss, *extras) and take one `optimizer` step on `variables` down the
    gradient of `loss` (a scalar); returns what loss_fn returned."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        with tf.GradientTape() as tape:
            results = loss_fn()
        gradients = tape.gradient(results[0], variables)
    elif backend == "torch":
        for variable in variables:
            variable.value.grad = None
        results = loss_fn()
        results[0].backward()
        gradients = [variable.value.grad for variable in variables]
    else:
        raise NotImplementedError(f"the custom train steps support the tensorflow and torch "
                                  f"backends, not {backend}")
    with no_gradients():  # torch must not record the update itself
        optimizer.apply(gradients, variables)
    return results


def gradient_function(loss_fn):
    """loss_fn(x) -> (loss, *extras)  =>  f(x) -> (loss, *extras, d loss / d x) for a float32
    array x, compiled as a tf.function on TensorFlow."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def traced(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                results = loss_fn(x)
            return (*results, tape.gradient(results[0], x))
        return lambda x: traced(tf.convert_to_tensor(x))
    if backend == "torch":
        import torch

        def with_gradient(x):
            x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
            results = loss_fn(x)
            gradient, = torch.autograd.grad(results[0], x)
            return (*results, gradient)
        return with_gradient
    raise NotImplementedError(f"gradients are supported on the tensorflow and torch backends, "
                              f"not {backend}")


def no_gradients():
    """A context for inference: torch records no autograd graph in it (less memory, faster)."""
    if keras.backend.backend() == "torch":
        import torch
        return torch.no_grad()
    return contextlib.nullcontext()


def inference_function(fn):
    """fn(*arrays) -> tensors, for inference: on TensorFlow a tf.function, traced once per input
    shape (grappler then fuses each conv with its bias and ReLU: the AdaIN forward pass at 512 px
    took 2.47 s instead of 3.06 s eagerly on a 2-core CPU); elsewhere fn under no_gradients.
    Pass numbers that change between calls as NumPy values, not Python floats (each new Python
    value would trace again)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        return tf.function(fn, reduce_retracing=True)

    def run(*args):
        with no_gradients():
            return fn(*args)
    return run
