"""Front ends: read a trained model into :mod:`hlsbinary.ir`.  Only these modules import TensorFlow."""
