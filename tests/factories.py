import factory

from accounts.models import User
from timeline.models import Tweet

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    handle = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.handle}@example.com")
    display_name = factory.LazyAttribute(lambda user: user.handle.title())
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TweetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tweet

    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Tweet number {n}")
