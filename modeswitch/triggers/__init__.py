"""Triggers: things outside the CLI that ask the daemon for a transition.

The daemon builds one GamepadTriggers with a Requester (its request queue) and a SeatView
(what mode it is in, whether the VM runs), and awaits start()/stop(). Nothing is imported
here: the config imports the button vocabulary without loading evdev.
"""
