"""Secure messages between the treating therapist and one family member at a time.

Each conversation belongs to one party of one case and is seen only by that party (in the
portal) and the case's treating therapists. A child's conversation is the child's private
channel: no parent ever sees it. Message bodies are never copied into the audit log.
"""

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "reunify.messaging"
    label = "messaging"
    verbose_name = "Messaging"
