"""The QEMU side of libvirt 0.8.3: domain -> command line (argv) and back (argv2xml).

Layout: one room per device family
----------------------------------
Each family's QEMU side is one module, holding both directions:

- ``disk.py``        -drive / -hdX / -cdrom / -fdX / -usbdevice disk: ; -device ide-drive, scsi-disk,
                     virtio-blk-pci, usb-storage ; -global isa-fdc.driveX
- ``net.py``         -net nic + -net backend, -netdev ; -device NIC models
- ``chardev.py``     serial, parallel, channel families and the monitor: -serial/-parallel,
                     -chardev + -device isa-serial/isa-parallel/virtserialport, guestfwd -netdev
- ``controller.py``  -device lsi / virtio-serial-pci
- ``sound.py``, ``video.py``, ``input.py``, ``hostdev.py``, ``watchdog.py``, ``balloon.py``,
  ``graphics.py``, ``clock.py``, ``filesystem.py``
- ``machine.py``     everything that is not a device: emulator, -M, accelerator, -m, -smp,
                     -name, -uuid, Xen domid, -nodefaults, lifecycle, boot/kernel, -usb, -incoming

A family module has build functions (``add_*(b: Build)``, reading ``b.dom``, ``b.flags``,
``b.profile``, ``b.conf`` and appending to the command line; ``b.refuse(...)`` where libvirt
refuses, ``b.warn(...)`` where libvirt builds but silently drops part of the document --
a located warning, a refusal with ``strict``), argv2xml readers
(``(st: ArgvState, option, value)``: libvirt 0.8.3's qemuParseCommandLine for that family's
options, which reads the legacy syntax only) and a ``FAMILY = Family(...)`` declaration
(family.py): its devices in a domain, its PCI predicate, its alias rule, how the guest-ABI
view names its devices (engine/abi.py), the options it reads by name or by prefix. What
libvirt's reader adds after its loop (the default display, the card and mouse that come
with it, the balloon, the console echo) are functions of their family too.

The registry (``registry.py``)
------------------------------
- ``FAMILIES``: every declaration, in libvirt's device order. ``pci.assign_pci_slots``,
  ``aliases.assign_aliases`` and the guest-ABI view (``engine/abi.py``) walk it (PCI
  predicate, alias rule, guest name); no other module lists devices.
- ``COMMAND_LINE``: the build sections in qemudBuildCommandLine's order; ``builder.py`` runs them.
- ``ARGV_AFTER_LOOP``: what qemuParseCommandLine adds after its loop, in its order.
- ``OPTIONS`` / ``PREFIXES`` / ``PRESCAN``: collected from the declarations; ``argvparse.py``
  (the loop and the final assembly) dispatches through ``registry.readers``. An option several
  families read (``-usbdevice``) is given to the first whose ``claims`` accepts the value,
  else to the one family that declares it without ``claims``; an option no family reads is
  dropped with a warning, as libvirt dropped it.

A new device family: its model class (engine/model), its module here with a ``FAMILY``,
and one line each in ``registry.FAMILIES`` and ``registry.COMMAND_LINE``.

Shared pieces: ``context.py`` (the Build state and the CommandLine), ``escape.py`` (values placed
in option strings), ``address.py`` (a device's ``bus=pci.0,addr=``), ``argvsplit.py`` (tokens of a
``.args`` text), ``argvvalues.py`` (libvirt's keyword lists, C integers, UUIDs, MACs), ``argvstate.py``
(the domain being read, the loop's state, warnings).
"""
