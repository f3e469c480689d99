"""The runner's phone: a small web app at / that browses, plays and keeps routines offline (docs/phone.md)."""

from skill.web.phone.views import phone_blueprint

__all__ = ["phone_blueprint"]
