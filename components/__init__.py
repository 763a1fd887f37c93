"""The program's components. Importing this package first makes the big provider-SDK
packages load one file at a time (components/sdk_packages.py); it imports no SDK itself."""

from components import sdk_packages

sdk_packages.install()
