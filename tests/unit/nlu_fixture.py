"""A small training set for the NLU tests: the project's own dialogue data, regexes, synonyms and
lookups, plus a handful of appeals in three first-level classes (the real appeal files are large)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APPEALS = """version: "3.1"
nlu:
- intent: report_problem
  metadata: {category: 城乡建设/城市建设和市政管理/城市公共设施, appeal_type: 投诉}
  examples: |
    - 我家楼下的路灯坏了一个星期了，晚上特别黑
    - 小区门口那盏路灯一直不亮，老人晚上不敢出门
    - 路边井盖丢了一个，特别危险
    - 公交站的座椅被撞坏了好几天了没人管
    - 人行道地砖翘起来一大片，老人摔了一跤
    - 路灯白天亮着晚上不亮，太不安全了
    - 胡同口的灯杆歪了快倒了
    - 天桥扶手断了一截没人修
- intent: report_problem
  metadata: {category: 城乡建设/城市建设和市政管理/冬季采暖, appeal_type: 求助}
  examples: |
    - 家里暖气一点都不热，屋里才十五度
    - 暖气片上面热下面凉，老人冻得受不了
    - 整栋楼暖气都不热，交了取暖费
    - 供暖以后屋里温度一直不达标
    - 暖气漏水了，热力公司没人接电话
    - 今年供暖到现在还没来热，孩子冻感冒了
    - 暖气管子一直响还不热
    - 晚上睡觉要盖两床被子，暖气太凉
- intent: report_problem
  metadata: {category: 劳动和社会保障/劳动关系/拖欠工资, appeal_type: 投诉}
  examples: |
    - 公司拖欠我三个月工资不给
    - 工地老板跑了，农民工工资没人发
    - 辞职以后公司一直不结工资
    - 老板说没钱，欠了我们半年工资
    - 饭店关门了，欠员工两个月的工资
    - 公司每个月都拖着不发工资
    - 干完活了包工头不给钱
    - 离职三个月了工资还没结清
- intent: report_problem
  metadata: {category: 卫生计生/医政/医疗纠纷, appeal_type: 举报}
  examples: |
    - 医院给我父亲开错了药，吃了以后住院了
    - 诊所无证行医，给孩子打针打出问题
    - 医生手术失误，医院不承认
    - 医院乱收费，检查费收了两遍
    - 私人诊所用过期药品
    - 医院推诿病人，急诊不接收
    - 牙科诊所种牙失败还不退钱
    - 医院的护士态度恶劣还打错针
- intent: report_problem
  metadata: {category: 城乡建设/住房保障/公租房, appeal_type: 咨询}
  examples: |
    - 公租房怎么申请，需要什么材料
    - 请问公租房的轮候要多久
    - 我想问一下公租房租金怎么交
    - 公租房能不能换到离单位近的地方
    - 申请公租房收入标准是多少
    - 公租房到期了怎么续租
    - 外地户口能申请公租房吗
    - 公租房的审核结果在哪里查
"""


def build_data_dir(target: Path) -> Path:
    """A training data directory with the real dialogue, regex, synonym and lookup files."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("dialogue.yml", "regexes.yml", "synonyms.yml"):
        shutil.copy(ROOT / "nlu_data" / name, target / name)
    shutil.copytree(ROOT / "nlu_data" / "lookups", target / "lookups")
    (target / "appeals").mkdir()
    (target / "appeals" / "small.yml").write_text(APPEALS, encoding="utf-8")
    return target


CONFIG = ROOT / "config.yml"
