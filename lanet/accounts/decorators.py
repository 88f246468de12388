"""Route guards that ask the permission layer; every protected page declares its action.

The guard lives in `lanet.core.access` (so that features below accounts can use it too); it
is named here for the features above accounts, which think in accounts' terms.
"""

from lanet.core.access import PROTECTED, permission_required

__all__ = ["PROTECTED", "permission_required"]
