"""alexnet_lib: everything the chapters of "AlexNet, from scratch" share.

One module per idea; data flows one way:
data -> augment -> models -> train -> metrics -> viz/widgets -> chapters.
"""

__version__ = "0.1.0"
