"""modeswitch: switch a VFIO seat between TV mode and desk mode in one transaction."""

__version__ = "0.1.0"
