"""alexnet_lib: everything the chapters of "AlexNet, from scratch" share.

One module per idea; data flows one way:
data -> augment -> models -> train -> metrics -> book (viz, widgets, ...) -> chapters.
The training core (the modules directly in this folder) never imports ``alexnet_lib.book``.
"""

__version__ = "0.1.0"
