"""A third-party plugin as a pip-installed package would ship it: one exercise and one routine."""

from skill import BandLevel, Exercise, Routine, Step, hookimpl


@hookimpl
def bandcoach_exercises():
    return [
        Exercise(
            id="band_sun_salute",
            name="Band sun salute",
            placement="band held overhead in both hands",
            setup="Stand tall, arms up, pull the band apart as you reach.",
            tips=("Keep your ribs down.",),
            reps=8,
            aliases=("sun salute",),
        )
    ]


@hookimpl
def bandcoach_routines():
    return [
        Routine(
            id="yoga",
            name="Band yoga flow",
            goal="Loosen your shoulders and hips with a gentle flow.",
            aliases=("yoga", "yoga flow", "sun salutations"),
            band=BandLevel.LIGHT,
            steps=(
                Step("band_sun_salute", sets=3, rest_seconds=20),
                Step("butterfly_stretch", rest_seconds=20),
                Step("band_sun_salute", sets=2, rest_seconds=20),
                Step("calf_stretch", sets=2, rest_seconds=15),
            ),
        )
    ]
