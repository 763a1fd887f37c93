"""The offline plan. Importing it first makes the big provider-SDK packages load one file at a
time (plan/sdk_packages.py): the plan, the bench and the tests start in a fraction of the time.
A real `pulumi up` (__main__.py) never imports this package and runs on the SDKs as shipped."""

from plan import sdk_packages

sdk_packages.install()
