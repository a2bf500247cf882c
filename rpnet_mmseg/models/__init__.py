"""Models of rpnet_mmseg, registered in mmseg's MODELS."""
from .backbones import *  # noqa: F401,F403
from .cam import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .irn import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .cam import __all__ as _cam
from .decode_heads import __all__ as _decode_heads
from .irn import __all__ as _irn
from .losses import __all__ as _losses
from .segmentors import __all__ as _segmentors

__all__ = (_backbones + _cam + _decode_heads + _irn + _losses +
           _segmentors)
