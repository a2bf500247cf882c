"""Models of rpnet_mmseg, registered in mmseg's MODELS."""
from .backbones import *  # noqa: F401,F403
from .cam import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .cam import __all__ as _cam
from .losses import __all__ as _losses

__all__ = _backbones + _cam + _losses
