"""One gradient step that reads the same on every backend the custom train steps support.

AdaIN, the VAE and the GAN write their own `train_step` (as the keras-io examples do); only the
gradient itself is backend-specific: TensorFlow records the forward pass on a GradientTape, torch
on its autograd graph. `descend` hides that difference, so each model keeps one train step.
JAX is not supported: its trainer needs a stateless train step (variables passed in and out),
a different shape for all three models.
"""
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
        import torch
        for variable in variables:
            variable.value.grad = None
        results = loss_fn()
        results[0].backward()
        gradients = [variable.value.grad for variable in variables]
        with torch.no_grad():
            optimizer.apply(gradients, variables)
        return results
    else:
        raise NotImplementedError(f"the custom train steps support the tensorflow and torch "
                                  f"backends, not {backend}")
    optimizer.apply(gradients, variables)
    return results
