"""Developer tooling: never deployed. Reads template.yaml, runs DynamoDB Local, signs sample events.

It runs from a checkout, where the layer's package is a folder rather than an installed package,
so the layer folder is put on the import path here, once.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "playhub")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
