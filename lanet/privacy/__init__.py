"""Export and erasure of a person, across every feature's declared personal data.

Sits at the top of the layers: it may import any feature; no feature imports it. Features
declare what they store through `lanet.core.personal_data` in their own `privacy.py`.
"""
