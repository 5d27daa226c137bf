"""cdktf's entry point for the storefront example (cdktf.json "app": "python app.py")."""

from cdktf import App

from storefront import Storefront

app = App()
Storefront(app, "storefront-prod")
app.synth()
