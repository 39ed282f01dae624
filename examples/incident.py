"""The incident, projected before it happens.

5,000,000 profiles of shape (M, 1) met per-cluster weights of shape (1, N): NumPy
would allocate an (M, N) result and the container would be OOM-killed. numguard
projects the result from shapes and dtypes alone and compares it with the memory
this process can really use (container limits included). Nothing large is allocated.
"""

import numpy as np

import numguard

M, N = 5_000_000, 200_000  # profiles, cluster weights

# Zero-strided stand-ins of the production shapes: metadata only, 8 bytes each.
profiles = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(M, 1), strides=(0, 0))
weights = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(1, N), strides=(0, 0))

projected = numguard.estimate(np.multiply, profiles, weights)
available = numguard.budget()

print(f"np.multiply{profiles.shape} x {weights.shape}")
print(f"  result shape  : {projected.shape} {projected.dtype}")
print(f"  projected size: {numguard.format_bytes(projected.nbytes)}")
for s in projected.stretched:
    print(f"  axis {s.axis} stretched to {s.size:,} from operand {s.operand} (size {s.operand_size})")
print(f"  available     : {available.binding}")

if projected.nbytes > available.available:
    print("numguard: refused before allocating; NumPy would have been OOM-killed later.")
else:
    np.multiply(profiles, weights)
