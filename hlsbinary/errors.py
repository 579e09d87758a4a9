"""The errors a user's mistake raises.  The command line prints their message as one line and exits with code 2.

Every message names what is wrong, where (file, key, layer or path) and how to fix it.  Anything else that
escapes is a bug in hlsbinary, reported as such.
"""

from __future__ import annotations


class UserError(ValueError):
    """Something the user asked for cannot be done as asked; the message says what, where and how to fix it."""


class ConfigError(UserError):
    """A configuration file or value is invalid; the message names the file, the key, the value and what is allowed."""


class OutputRefused(UserError):
    """An output would delete or replace something hlsbinary did not write, or cannot be written where asked."""


class InputError(UserError):
    """An input file (model, data, inputs to emulate) is missing, unreadable or of the wrong shape."""


class UnsupportedModelError(UserError):
    """The model holds a layer, quantizer or setting hlsbinary cannot convert exactly; the message names it and
    says what is supported."""
