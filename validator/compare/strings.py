"""Every sentence of the report, in Russian and English. One place, so both stay complete."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ru", "en"]

STRINGS: dict[str, dict[str, str]] = {
    "verdict.verified": {"ru": "✅ Проверено", "en": "✅ Verified"},
    "verdict.discrepancies": {"ru": "❌ Есть расхождения", "en": "❌ Discrepancies"},
    "verdict.incomplete": {"ru": "⏳ Проверено не полностью", "en": "⏳ Incomplete"},
    "headline.verified": {
        "ru": "Все заявленные числа воспроизведены в пределах допусков.",
        "en": "Every reported number was reproduced within tolerance.",
    },
    "headline.discrepancies": {
        "ru": "Часть чисел не воспроизводится: ниже — что именно и что с этим сделать.",
        "en": "Some numbers do not reproduce: below is which, and what to do about them.",
    },
    "headline.incomplete": {
        "ru": "Расхождений не найдено, но часть чисел на этом раннере проверить нельзя.",
        "en": "No discrepancy found, but some numbers cannot be checked on this runner.",
    },
    "cell.ok": {"ru": "✅ совпадает", "en": "✅ ok"},
    "cell.mismatch": {"ru": "❌ расхождение", "en": "❌ mismatch"},
    "cell.unverifiable": {"ru": "⚪ не проверить здесь", "en": "⚪ unverifiable here"},
    "cell.not-reported": {"ru": "— не заявлено", "en": "— not reported"},
    "cell.run-failed": {"ru": "💥 запуск не удался", "en": "💥 run failed"},
    "metric.size_mb": {"ru": "Размер (MB)", "en": "Size (MB)"},
    "metric.cpu_ms": {"ru": "CPU (ms)", "en": "CPU (ms)"},
    "metric.gpu_ms": {"ru": "GPU (ms)", "en": "GPU (ms)"},
    "metric.ram_mb": {"ru": "RAM (MB)", "en": "RAM (MB)"},
    "metric.vram_mb": {"ru": "VRAM (MB)", "en": "VRAM (MB)"},
    "metric.quality": {"ru": "Качество ({metric})", "en": "Quality ({metric})"},
    "column.metric": {"ru": "Метрика", "en": "Metric"},
    "column.reported": {"ru": "Заявлено", "en": "Reported"},
    "column.reproduced": {"ru": "Воспроизведено", "en": "Reproduced"},
    "column.delta": {"ru": "Разница", "en": "Delta"},
    "column.tolerance": {"ru": "Допуск", "en": "Tolerance"},
    "column.verdict": {"ru": "Вердикт", "en": "Verdict"},
    "section.todo": {"ru": "Что сделать", "en": "What to do"},
    "section.static": {"ru": "Статические проверки", "en": "Static checks"},
    "section.machine": {"ru": "Машина и условия замера", "en": "Runner and measurement"},
    "section.plot": {
        "ru": "Заявлено и воспроизведено на графике",
        "en": "Reported vs reproduced, plotted",
    },
    "machine.cpu": {"ru": "CPU", "en": "CPU"},
    "machine.gpu": {"ru": "GPU", "en": "GPU"},
    "machine.none": {"ru": "нет", "en": "none"},
    "machine.cpu-line": {
        "ru": "ядер: {cores}, потоков замера: {threads}",
        "en": "cores: {cores}, threads used: {threads}",
    },
    "machine.driver": {"ru": "драйвер", "en": "driver"},
    "machine.unnamed": {"ru": "не указано", "en": "not named"},
    "machine.commit": {"ru": "коммит", "en": "commit"},
    "homework": {"ru": "ДЗ", "en": "HW"},
    "machine.versions": {"ru": "Версии", "en": "Versions"},
    "machine.settings": {"ru": "Настройки замера", "en": "Measurement settings"},
    "machine.manifest": {"ru": "Манифест", "en": "Manifest"},
    "machine.shard": {
        "ru": "Раннер {index} из {of} ({runs}; оригинал замерен и здесь)",
        "en": "Runner {index} of {of} ({runs}; the original timed here too)",
    },
    "machine.shard-missing": {
        "ru": "Раннер {index} из {of} ({runs}): не прислал результат",
        "en": "Runner {index} of {of} ({runs}): reported nothing",
    },
    "basis.ci": {"ru": "95% ДИ при n={n}", "en": "95% CI at n={n}"},
    "basis.bootstrap": {"ru": "95% бутстреп-ДИ", "en": "95% bootstrap CI"},
    "basis.speedup": {"ru": "от ускорения", "en": "of the speed-up"},
    "basis.interval": {
        "ru": "ДИ медианы {ci}, дрейф {drift}, пол {floor}",
        "en": "median's CI {ci}, drift {drift}, floor {floor}",
    },
    "basis.paired": {
        "ru": "ускорение, {rounds} парных раундов, расширено на {floor}",
        "en": "speed-up, {rounds} paired rounds, widened {floor}",
    },
    "spread.latency-rounds": {
        "ru": "медиана; 95% ДИ {low}…{high}, раундов {rounds}",
        "en": "median; 95% CI {low}…{high}, {rounds} rounds",
    },
    "spread.latency": {
        "ru": "медиана; p90 {p90}, CV {cv}, n={n}",
        "en": "median; p90 {p90}, CV {cv}, n={n}",
    },
    "spread.quality": {"ru": "95% ДИ {low}…{high}, n={n}", "en": "95% CI {low}…{high}, n={n}"},
    # Why a cell is what it is, and what to do: one sentence each.
    "cause.size": {
        "ru": "Размер не совпадает с артефактом раннера (×{ratio}). Указывайте размер "
        "сохранённого файла модели на диске в MB (2^20 байт).",
        "en": "The size differs from the runner's artifact (×{ratio}). Report the size of the "
        "saved model file on disk in MB (2^20 bytes).",
    },
    "cause.size-units": {
        "ru": "Похоже на ошибку единиц (×{ratio}): размер пишется в MB, 1 GB = 1024 MB.",
        "en": "Looks like a unit slip (×{ratio}): sizes are in MB, 1 GB = 1024 MB.",
    },
    "cause.quality": {
        "ru": "Качество вне допуска. Оцените сжатую модель на тех же примерах "
        "(evaluation.samples = {n}); чем больше примеров, тем уже допуск.",
        "en": "Quality is out of tolerance. Evaluate the compressed model on the same samples "
        "(evaluation.samples = {n}); more samples give a tighter tolerance.",
    },
    "cause.quality-percent": {
        "ru": "Похоже, записаны проценты вместо доли: пишите 0.828, а не 82.8.",
        "en": "Looks like a percentage where a fraction goes: write 0.828, not 82.8.",
    },
    "cause.latency": {
        "ru": "Задержка на том же железе отличается (×{ratio}). Измеряйте время на один "
        "пример (batch 1) после прогрева, медиану по многим запускам.",
        "en": "Latency on the same hardware differs (×{ratio}). Time one sample (batch 1) "
        "after warm-up, and report the median of many runs.",
    },
    "cause.latency-unresolved": {
        "ru": "Время отличается в {ratio} раза: больше, чем раннер разрешает на этой машине, "
        "но в пределах полосы ×{band}. Скорость машины меняется между процессами; судится "
        "ускорение относительно оригинала.",
        "en": "The time differs ×{ratio}: more than the runner resolves on this machine, but "
        "within the ×{band} band. The machine's speed moves between processes; the speed-up "
        "over the original is what is judged.",
    },
    "cause.speedup-other-hardware": {
        "ru": "Другое железо: заявлено ×{claimed} относительно оригинала, здесь ×{measured}; "
        "в пределах полосы ×{band} — на этом железе не сравнить.",
        "en": "Other hardware: claimed ×{claimed} over the original, ×{measured} here; within "
        "the ×{band} band, not comparable on this hardware.",
    },
    "cause.latency-units": {
        "ru": "Похоже на ошибку единиц (×{ratio}): время пишется в миллисекундах на пример.",
        "en": "Looks like a unit slip (×{ratio}): times are milliseconds per sample.",
    },
    "cause.speedup": {
        "ru": "Заявленное ускорение относительно оригинала ×{claimed} не подтверждается: у "
        "раннера ×{measured}. Замеряйте оригинал и сжатую модель одинаково, на одной "
        "машине, batch 1.",
        "en": "The claimed speed-up over the original, ×{claimed}, does not hold: the runner "
        "measured ×{measured}. Time the original and the compressed model the same "
        "way, on one machine, batch 1.",
    },
    "cause.speedup-direction": {
        "ru": "Заявлено ×{claimed} относительно оригинала, а раннер намерил ×{measured}: "
        "модель на деле в другую сторону. Не копируйте время из строки оригинала.",
        "en": "Claimed ×{claimed} against the original, measured ×{measured}: the opposite "
        "direction. Do not copy times from the baseline row.",
    },
    "cause.memory": {
        "ru": "Пиковая память сильно отличается. Сообщайте пиковый RSS процесса во время "
        "инференса (или пик VRAM), а не объём весов.",
        "en": "Peak memory differs widely. Report the process's peak RSS during inference "
        "(or peak VRAM), not the weights' size.",
    },
    "cause.vram-below-weights": {
        "ru": "VRAM меньше, чем весит сама модель ({weights} MB): так не бывает. "
        "Замеряйте torch.cuda.max_memory_allocated во время инференса.",
        "en": "VRAM is below the model's own weights ({weights} MB), which is impossible. "
        "Measure torch.cuda.max_memory_allocated during inference.",
    },
    "cause.gpu-on-cpu-runner": {
        "ru": "GPU-метрика: этот раннер без GPU.",
        "en": "A GPU metric, and this runner has no GPU.",
    },
    "cause.cpu-on-gpu-runner": {
        "ru": "CPU-задержка: этот раннер мерил на GPU.",
        "en": "A CPU latency, and this runner measured on the GPU.",
    },
    "cause.baseline-other-hardware": {
        "ru": "Железо другое ({hardware}); время оригинала служит опорой для ускорений.",
        "en": "Other hardware ({hardware}); the original's time anchors the speed-ups.",
    },
    "cause.latency-below-channel": {
        "ru": "Модель отвечает быстрее, чем раннер может измерить через канал: после вычета "
        "эха ({pipe} ms) от времени ничего не осталось. Здесь эту задержку не проверить.",
        "en": "The model answers faster than the runner can time through its channel: once "
        "the echo ({pipe} ms) is taken off, no time is left. This latency cannot be checked "
        "here.",
    },
    "cause.no-baseline": {
        "ru": "Нет времени оригинала на этом же устройстве, ускорение не посчитать.",
        "en": "No original time on this device to compute a speed-up from.",
    },
    "cause.recipe-unsupported": {
        "ru": "Рецепт не запускается на этом раннере: {error}",
        "en": "The recipe cannot run on this runner: {error}",
    },
    "cause.run-failed": {"ru": "Запуск не удался: {error}", "en": "The run failed: {error}"},
    "cause.not-reproduced": {
        "ru": "Этот запуск не воспроизводился (нет в записи проверки).",
        "en": "This run was not reproduced (it is not in the record).",
    },
    "late": {
        "ru": "⏰ Работа сдана после срока ({deadline}).",
        "en": "⏰ Submitted after the deadline ({deadline}).",
    },
    "cause.manifest-changed": {
        "ru": "Запись проверки сделана для другой версии манифеста: нужна новая проверка.",
        "en": "The record was made from another version of the manifest: re-run the check.",
    },
}


def t(key: str, lang: Lang, **params: str) -> str:
    text = STRINGS[key][lang]
    return text.format(**params) if params else text
