import gc

from x12.gcpause import gc_paused
from x12.parse import parse_file


def test_collector_state_is_restored_even_on_errors():
    assert gc.isenabled()
    parse_file(b"ISA*this is not x12~")
    assert gc.isenabled()
    try:
        with gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that disabled it keeps it disabled
    finally:
        gc.enable()
