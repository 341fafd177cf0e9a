"""Rules of the `interval` group: how often Flux reconciles, retries and waits.

Every value is read after patches (a parent Kustomization's ``spec.patches``
often sets ``interval`` on its children) and reported on the line that wrote
it. Only Flux kinds are read: a ServiceMonitor's ``interval: 30s`` is not a
Flux interval. Values holding ``${...}`` are left alone (postBuild
substitution decides them), and the files ``flux bootstrap`` generates
(``gotk-*.yaml``) are not nagged about style; too-short still reads them, as
the generated intervals meet its minimum and a shorter one there is a
user's edit. When many children of one parent Kustomization repeat the same
finding (no ``retryInterval``, no ``timeout``), one finding goes on the
parent, where a patch sets it once.
"""
