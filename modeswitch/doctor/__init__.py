"""`modeswitch doctor`: which of the known VFIO / Looking Glass / desktop pitfalls bites here.

One module per group of checks (vfio, lookingglass, libvirt, audio, devices, service); each is
a function of `Facts` (what was read from the machine through injectable roots and probes)
returning `Finding`s, so every failure mode can be tested on a fixture tree.
"""
