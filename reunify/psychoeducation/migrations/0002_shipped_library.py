"""The project's own short texts, one per topic, written for parents and adolescents.

They live here, frozen, rather than in the app: the practice edits its copies through the
library pages, and this migration only ever creates them once.
"""

from django.db import migrations
from django.utils import timezone

MODULES = [
    {
        "topic": "impact_of_estrangement",
        "title": "When a parent and child grow apart",
        "summary": "Why distance between a parent and a child hurts everyone in the family, "
        "and why it can be repaired.",
        "body": """\
Sometimes a parent and a child stop seeing each other, or see each other so rarely that they start to feel like strangers. It can happen for many reasons: a move, a hard divorce, an illness, angry words that were never taken back. However it started, the distance usually hurts more people than anyone expects.

Children may miss a parent and feel guilty for missing them at the same time. They may feel they have to choose a side, or that loving one parent is unfair to the other. A parent who is apart from their child often feels grief, shame or anger, and may not know how to reach out without making things worse. The parent the child lives with can feel caught in the middle, too.

None of these feelings mean that someone is bad or that the relationship is over. They are normal reactions to a painful situation.

In our work together, nobody is asked to pretend the past did not happen. We go slowly, at a pace the child can manage, and we make sure everyone is safe. Each person gets a chance to be heard. Reconnecting is not about winning or losing. It is about giving the child room to have a relationship with both parents, if and when that is safe and right for them.""",
    },
    {
        "topic": "mental_health",
        "title": "Mental health and a family under strain",
        "summary": "How a parent's struggles with mental health or substance use can shake a "
        "family, and what helps everyone recover.",
        "body": """\
Everyone's mental health has ups and downs. Sometimes, though, a parent goes through a long, hard time: depression, anxiety, an addiction, or another illness that changes how they act. During that time they may have seemed unpredictable, absent or frightening, even if they never meant to be.

Children notice these changes, even when adults try to hide them. A child might have worried about the parent, taken on grown-up jobs at home, or decided to keep away to feel safe. Those were sensible ways to cope. They are not something the child needs to apologize for.

Getting better takes time, and it is rarely a straight line. A parent who is in treatment and doing well may still need to show, over weeks and months, that things really are different. Trust comes back through small promises kept, again and again.

It also helps to talk about what happened in words that fit the child's age: the illness was real, it was not the child's fault, and it is not the child's job to fix it.

Stress can weigh on the parent the child lives with, and on the child, too. Asking for help is a strength. If you are struggling now, please tell your therapist. Safety always comes first, and support is there for every member of the family.""",
    },
    {
        "topic": "co_parenting",
        "title": "Healthy co-parenting",
        "summary": "Practical ways for two parents to work together for their child, even when "
        "they do not get along.",
        "body": """\
Co-parenting means two parents sharing the job of raising a child, whether or not they still like each other. You do not have to be friends. You do have to keep your child out of the middle.

A few habits make a big difference.

Speak about the other parent with respect when your child can hear, or say nothing at all. Children feel that they are half of each parent, so criticism of a parent can land on them too.

Do not ask your child to carry messages, keep secrets or report on what happens in the other home. Talk to the other parent directly, or in writing, about plans, school and health.

Let your child love the other parent without guilt. A simple "I hope you have a good time with your dad" can lift a heavy weight off a child's shoulders.

Keep handovers short, calm and on time. Save disagreements for another moment, away from your child.

When you disagree, stay with the question in front of you instead of going back over the past. Ask yourselves: what does our child need right now?

You will not get it right every time. When you slip, own it and try again. Your child learns a great deal from watching two adults solve a problem without a fight.""",
    },
    {
        "topic": "communication",
        "title": "Talking so you can be heard",
        "summary": "Simple ways to listen and speak that make hard conversations feel safer "
        "for everyone.",
        "body": """\
When people have been hurt, even small conversations can turn into arguments. The good news is that a few simple skills can make talking feel safer, for parents and young people alike.

Listen first. Let the other person finish. Then try to repeat back what you heard, in your own words: "So you felt left out when I missed your game." You do not have to agree to show that you understood.

Speak about yourself, not about the other person. "I felt worried when I didn't hear from you" is easier to hear than "You never call."

Keep it short and specific. One topic at a time works better than a list of everything that has gone wrong.

Notice your tone and your body. Folded arms, rolled eyes or a raised voice can say more than your words.

It is fine to take a break. Saying "I need a few minutes, can we come back to this?" is a skill, not a failure. Just make sure you do come back.

Young people: you are allowed to say what you think and feel, at your own pace. Parents: calm, patient listening is one of the strongest ways to rebuild trust.

We will try these skills out together in our sessions.""",
    },
    {
        "topic": "emotional_regulation",
        "title": "Staying steady when feelings run high",
        "summary": "What happens when strong feelings take over, and small steps that help you "
        "calm down and think clearly.",
        "body": """\
Anger, fear, sadness and embarrassment are all normal feelings, especially when a family is going through something hard. Feelings are not the problem. Trouble starts when a feeling grows so big that we say or do things we later regret.

When we are very upset, the body gets ready for danger: the heart beats faster, breathing speeds up, and it becomes hard to think. That is why arguing in that moment rarely goes well.

Some things help bring the body back down.

Notice the early signs, like a tight chest, a hot face or clenched fists, and name the feeling to yourself: "I'm getting angry."

Breathe slowly. Breathing out for longer than you breathe in tells your body that it is safe.

Step away for a while. Take a short walk, drink some water or listen to music.

Once you feel calmer, talk to someone you trust.

Parents: your child learns how to handle feelings by watching you. When you stay steady, or calm yourself down after losing your temper, you show them that strong feelings can be managed.

Young people: it is okay to ask for a pause in a visit or a session when things feel like too much. Asking for space is a healthy choice, and we will respect it.""",
    },
    {
        "topic": "developmental_effects",
        "title": "How long conflict affects growing children",
        "summary": "How years of conflict or rejection can affect children at different ages, "
        "and what helps them heal.",
        "body": """\
Children grow and change quickly, and the way they understand conflict in their family changes as they grow. Living with fighting, or feeling pushed away by a parent, for a long time can leave marks. Children are also very good at recovering when the adults around them make life calmer and safer.

Young children may not have words for what they feel. They may become clingy, sleep badly, or go back to habits they had outgrown.

School-age children often try to make sense of things by deciding who is right and who is wrong. They may blame themselves, or take one parent's side completely, because holding two different views at once feels too hard.

Teenagers are working out who they are. Conflict can show up as anger, withdrawal, trouble at school, or a strong wish to decide everything for themselves. Their opinions deserve to be taken seriously, even when adults disagree.

At any age, conflict that goes on and on can make it harder for a child to trust, to feel good about themselves, and to believe that relationships can be mended.

What helps most is less fighting, steady routines, and adults who listen without pressure. It is never too late for these changes to make a difference.""",
    },
]


def ship_library(apps, schema_editor):
    Module = apps.get_model("psychoeducation", "Module")
    now = timezone.now()
    for module in MODULES:
        Module.objects.create(**module, language="en", active=True, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("psychoeducation", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(ship_library, migrations.RunPython.noop),
    ]
