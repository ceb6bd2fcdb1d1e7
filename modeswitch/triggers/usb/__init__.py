"""Pads passed into the VM, read from the host side of their USB traffic (usbmon)."""
