"""``ternary_tanh``, the ternary twin of QKeras's ``binary_tanh`` (QKeras 0.9.0 has none)."""

from __future__ import annotations

import tensorflow as tf

TERNARY_TANH_THRESHOLD = 0.33  # QKeras's default ternary threshold


@tf.custom_gradient
def _ternary_ste(x):
    q = tf.sign(x) * tf.cast(tf.abs(x) >= TERNARY_TANH_THRESHOLD, x.dtype)

    def grad(dy):
        return dy * tf.cast(tf.abs(x) <= 1.0, x.dtype)

    return q, grad


def ternary_tanh(x):
    """``q(x) = sign(x) * [|x| >= 0.33]``: -1, 0 or +1 exactly; ``q(0) = 0`` and ``q(+-0.33) = +-1``.

    Gradient: straight-through estimator of hard tanh (1 for ``|x| <= 1``, 0 outside), as in
    Courbariaux et al., "Binarized Neural Networks" (arXiv:1602.02830).  The forward value is the
    exact level (no ``x + stop_gradient(q - x)`` rounding), so the next layer sees exact integers.
    A plain function, so Keras saves it by name and ``load_model`` finds it once registered.
    """
    return _ternary_ste(tf.convert_to_tensor(x))
