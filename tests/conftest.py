"""Shared test set-up: register mmseg's and rpnet_mmseg's modules."""
import os

os.environ.setdefault('OMP_NUM_THREADS', '2')

import rpnet_mmseg  # noqa: E402,F401
from mmseg.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)
