"""fileio.legacy_npy: the one restricted unpickler of IRN-format files."""
import io
import pickle

import numpy as np
import pytest
from numpy.lib import format as npy_format

from rpnet_mmseg.fileio import RefusedGlobalError, load_npy_restricted


def _object_npy(payload: bytes) -> bytes:
    """An .npy file of a 0-d object array whose pickle is ``payload``."""
    f = io.BytesIO()
    npy_format.write_array_header_1_0(
        f, {'descr': '|O', 'fortran_order': False, 'shape': ()})
    return f.getvalue() + payload


def _numpy1_pickle(obj) -> bytes:
    """Pickle ``obj`` naming numpy 1.x's modules (``numpy.core``).

    Protocol 3 (numpy 1.x's ``np.save``) names globals in text lines, so
    the module names can be swapped in place.
    """
    payload = pickle.dumps(np.array(obj, dtype=object), protocol=3)
    return payload.replace(b'numpy._core.', b'numpy.core.')


def test_numeric_npy_needs_no_pickle():
    f = io.BytesIO()
    np.save(f, np.arange(6, dtype=np.int16).reshape(2, 3))
    back = load_npy_restricted(f.getvalue(), 'a.npy')
    np.testing.assert_array_equal(back, np.arange(6).reshape(2, 3))


def test_numpy_1_and_2_module_names_are_admitted():
    value = {'keys': np.array([1, 3]), 'score': np.float32(0.5), 'n': 2,
             'name': 'x'}
    payload = _numpy1_pickle(value)
    assert b'numpy.core.multiarray' in payload  # as numpy 1.x wrote it
    for raw in (_object_npy(payload),
                _object_npy(pickle.dumps(np.array(value, dtype=object), 4))):
        back = load_npy_restricted(raw, "a.npy")
        assert back['n'] == 2 and back['name'] == 'x'
        assert back['score'] == np.float32(0.5)
        np.testing.assert_array_equal(back['keys'], [1, 3])


def test_other_globals_are_refused_before_they_run():
    payload = pickle.dumps(np.array({'k': pickle.PickleBuffer}, dtype=object))
    with pytest.raises(RefusedGlobalError) as info:
        load_npy_restricted(_object_npy(payload), 'dir/x.npy')
    assert info.value.path == 'dir/x.npy'
    assert info.value.global_name == 'pickle.PickleBuffer'
    assert "dir/x.npy: refused to unpickle the global 'pickle.PickleBuffer'" \
        in str(info.value)


def test_truncated_or_foreign_files_are_named():
    with pytest.raises(ValueError, match='t.npy'):
        load_npy_restricted(b'\x93NUMPY', 't.npy')
    payload = pickle.dumps(np.array({'a': 1}, dtype=object), 3)
    with pytest.raises(ValueError, match=r"t\.npy.*cannot unpickle"):
        load_npy_restricted(_object_npy(payload[:-5]), 't.npy')
    with pytest.raises(ValueError, match=r't\.npy.*not a 0-d object array'):
        load_npy_restricted(_object_npy(pickle.dumps({'a': 1}, 3)), 't.npy')
