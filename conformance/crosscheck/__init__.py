"""Differential runs against another implementation of libvirt 0.8.3's QEMU driver.

``virtconform crosscheck`` holds this project's engine against anything that
speaks the batch protocol of ``../shared/oracle/libvirt083-oracle`` (libvirt's
own 2010 code), and a libvirt build against this model:

- ``protocol``: the oracle client (batch modes, crash isolation by single runs);
- ``ours``: the same three conversions through our engine, in-process;
- ``documents``: where documents come from, and the random values pinned in them;
- ``compare``: one verdict per document x mode, with a stable *kind* per difference;
- ``checker``: runs many (document, mode, capability set) items on both sides at once;
- ``minimize``: deletes parts of a witness while its disagreement keeps its kind;
- ``deviations``: the table of deliberate differences (docs/deviations.md);
- ``run`` and ``report``: the whole run and its report as a data structure;
- ``corpus``: the project's corpus expectations, regenerated from the oracle.
"""
