"""numpydoc validation of every public object of skmix and its public methods.

The ignored codes are those that scikit-learn's own docstring test
(``maint_tools/test_docstrings.py``) ignores:

- everywhere: RT02 (the first line of Returns holds only the type: skmix, as
  scikit-learn, names the returned value, ``self : object``), GL01 and GL02
  (where the summary starts relative to the quotes and blank lines);
- for methods (not for the public classes and functions themselves): ES01
  (extended summary), SA01 (See Also) and EX01 (Examples): a method's
  example is usually its class's; the classes and functions must have all
  three.

Methods inherited from scikit-learn (get_params, set_params, the metadata
routing requests) are validated too: they pass under the same rules.
"""

import inspect

import pytest

import skmix

numpydoc_validate = pytest.importorskip("numpydoc.validate")

IGNORED = {"RT02", "GL01", "GL02"}
IGNORED_FOR_METHODS = {"ES01", "SA01", "EX01"}

# Known failures in code owned elsewhere, to be fixed there: strict xfails, so
# that the test fails (and the entry must go) as soon as a docstring is fixed.
PENDING = {}


def _public_objects():
    for name in sorted(skmix.__all__):
        if name.startswith("__"):
            continue
        obj = getattr(skmix, name)
        yield f"skmix.{name}", False
        if inspect.isclass(obj):
            for attr, _ in inspect.getmembers(obj):
                if not attr.startswith("_"):
                    yield f"skmix.{name}.{attr}", True


def _cases():
    for qualname, is_method in _public_objects():
        marks = ()
        if qualname in PENDING:
            marks = pytest.mark.xfail(
                strict=True, reason=f"owned elsewhere: {PENDING[qualname]}"
            )
        yield pytest.param(qualname, is_method, id=qualname, marks=marks)


def errors(qualname, is_method):
    """The numpydoc errors of ``qualname`` that the rules above keep."""
    result = numpydoc_validate.validate(qualname)
    ignored = IGNORED | (IGNORED_FOR_METHODS if is_method else set())
    return [(code, msg) for code, msg in result["errors"] if code not in ignored]


@pytest.mark.parametrize(("qualname", "is_method"), list(_cases()))
def test_docstring(qualname, is_method):
    assert errors(qualname, is_method) == []


def test_the_validation_can_fail():
    # a docstring with a known defect is reported (the test above is not
    # vacuous): an undocumented parameter and no Returns description
    def documented(a, b):
        """Do something.

        Parameters
        ----------
        a : int
            The first.

        Returns
        -------
        int
        """

    skmix._docstring_probe = documented
    try:
        codes = {code for code, _ in errors("skmix._docstring_probe", False)}
    finally:
        del skmix._docstring_probe
    assert {"PR01", "RT03"} <= codes
