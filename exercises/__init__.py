"""Unit 1: convolutional networks and the conv layer's forward pass."""
