"""Log files, e-mail and the job watchdog of a Manager (``manager.notifications``).

``from labqueue.notifications import SmtpSettings, time_limit`` is all a script needs; the
modules of this package each hold one part:

- :mod:`.settings` — every notification setting, checked in one place
- :mod:`.manager_notifications` — :class:`Notifications`, which wires them to one Manager
- :mod:`.log_files` — daily log files shared by the Managers writing to one folder
- :mod:`.smtp`, :mod:`.credentials` — one send with a total deadline; where the password lives
- :mod:`.email_message`, :mod:`.email_handler`, :mod:`.mail_sender` — what is mailed, and when
- :mod:`.watchdog` — warn once when a job runs too long
"""

from labqueue.notifications.manager_notifications import EMAIL_OFF, Notifications
from labqueue.notifications.smtp import EmailError, SmtpSettings
from labqueue.notifications.watchdog import time_limit

__all__ = ["Notifications", "EMAIL_OFF", "SmtpSettings", "EmailError", "time_limit"]
