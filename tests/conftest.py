"""Test session settings: modest Hypothesis budgets and single-threaded torch.

HYPOTHESIS_PROFILE=thorough runs many more examples (e.g. before a release).
"""

import os
import tempfile

import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "groundup",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "groundup"))

# The oracle's tensors are tiny: threads only add overhead on a shared machine.
torch.set_num_threads(1)

# The shipped vocabulary is cached on disk after its first training: the tests keep that
# cache out of the user's home folder.
os.environ.setdefault("GROUNDUP_CACHE_DIR", tempfile.mkdtemp(prefix="groundup-test-cache-"))
