"""The demo district behind `flask seed-demo` (product.md §10).

One street, four communities, units of every type with their venues, people, organizations,
co-construction agreements and about four months of bookings. Everything that has rules goes
through the services (venues, opening hours, closures, bookings and their lifecycle), so the
demo obeys the same rules as real data: past bookings are made with the clock set a few days
before their start, then moved through their lifecycle with the clock set after it.
A seeded random generator keeps the district the same from run to run for a given `now`.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from . import audit
from .accounts.models import (
    Community,
    Notification,
    Organization,
    OrganizationKind,
    Street,
    Unit,
    UnitType,
    User,
)
from .accounts.services import (
    add_member,
    approve_organization,
    assign_manager,
    create_community,
    create_organization,
    create_street,
    create_unit,
    create_user,
)
from .bookings.models import Booking, BookingStatus
from .bookings.series import create_series
from .bookings.services import (
    approve_booking,
    cancel_booking,
    check_in_booking,
    complete_booking,
    create_booking,
    expire_booking,
    mark_no_show,
    rate_booking,
    reject_booking,
    release_no_show,
)
from .errors import DomainError
from .extensions import db
from .stats.models import Agreement
from .venues.intervals import local_instant
from .venues.models import ClosureReason, Venue
from .venues.services import Window, add_closure, create_venue, set_opening_hours

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
SEED = 2026
DOMAIN = "demo.gongjian.cn"
SETUP_DAYS = 150  # the district joined the platform this long before `now`
HISTORY_DAYS = 120  # past bookings reach this far back
HORIZON_DAYS = 14  # future bookings reach this far ahead
# Venue popularity is a chance per opening window; these scale it to about 450 past and 80
# upcoming bookings.
PAST_SCALE = 0.42
FUTURE_SCALE = 0.9

# One login per role of product.md §2 (a visitor needs none): key, e-mail, password, name.
LOGINS = {
    "district admin": ("admin", "demo-admin-2026", "赵立新"),
    "unit manager": ("manager", "demo-manager-2026", "王建国"),
    "unit manager (second unit)": ("manager2", "demo-manager2-2026", "李秀英"),
    "resident": ("resident", "demo-resident-2026", "张伟"),
    "organization member": ("member", "demo-member-2026", "刘芳"),
    "organization admin": ("orgadmin", "demo-orgadmin-2026", "陈淑珍"),
}

STREET = "和平街道"
COMMUNITIES = ("和平里社区", "东风社区", "光明社区", "新华社区")
ROADS = (("和平路", "和平里东街"), ("东风路", "东风北巷"), ("光明大道", "光明西街"),
         ("新华路", "新华南街"))

# key, name, type, community index, description
UNITS: tuple[tuple[str, str, UnitType, int, str], ...] = (
    ("jiedao", "和平街道办事处", UnitType.GOVERNMENT, 0,
     "街道党工委、办事处机关所在地，党群服务中心面向辖区居民和社区组织开放。"),
    ("jianchayuan", "区人民检察院", UnitType.GOVERNMENT, 1,
     "区级检察机关。机关会议室在工作日晚间向辖区党组织、社会组织开放。"),
    ("fating", "区人民法院和平人民法庭", UnitType.GOVERNMENT, 2,
     "派出人民法庭，设有法治宣传教育基地，定期开展以案释法活动。"),
    ("shuiwusuo", "区税务局和平税务所", UnitType.GOVERNMENT, 3,
     "税务所职工活动室在下班后和周末向居民开放，并提供纳税咨询进社区服务。"),
    ("shichangsuo", "区市场监管局和平市场监管所", UnitType.GOVERNMENT, 0,
     "负责辖区食品安全和市场秩序监管，会议室可供社区议事使用。"),
    ("paichusuo", "公安分局和平派出所", UnitType.GOVERNMENT, 1,
     "派出所警民共建活动室，常年开展反诈宣传、安全防范讲座。"),
    ("sifasuo", "区司法局和平司法所", UnitType.GOVERNMENT, 2,
     "司法所和街道人民调解委员会所在地，提供法律援助咨询。"),
    ("tuiyijunren", "区退役军人事务局", UnitType.GOVERNMENT, 3,
     "设有退役军人服务站，定期组织退役军人座谈和就业指导。"),
    ("tushuguan", "区图书馆", UnitType.PUBLIC_INSTITUTION, 0,
     "国家一级公共图书馆，馆藏图书六十余万册，报告厅和少儿活动区对外开放。"),
    ("wenhuaguan", "区文化馆", UnitType.PUBLIC_INSTITUTION, 1,
     "区群众文化活动中心，排练厅、声乐室长期服务社区文艺团队。"),
    ("qingshaonian", "区青少年活动中心", UnitType.PUBLIC_INSTITUTION, 2,
     "面向青少年的校外教育阵地，设有室内篮球馆和书画教室。"),
    ("laonian", "区老年大学", UnitType.PUBLIC_INSTITUTION, 3,
     "开设书法、声乐、智能手机等课程，电脑教室在非教学时段对外开放。"),
    ("fuyou", "区妇幼保健院", UnitType.PUBLIC_INSTITUTION, 0,
     "提供妇女儿童保健服务，定期举办孕产妇学校和育儿讲座。"),
    ("jikong", "区疾病预防控制中心", UnitType.PUBLIC_INSTITUTION, 1,
     "负责辖区疾病预防控制和健康教育，可为社区提供健康讲座。"),
    ("kejiguan", "区科技馆", UnitType.PUBLIC_INSTITUTION, 2,
     "区科普教育基地，常设展厅免费开放，周末举办青少年科普活动。"),
    ("weisheng", "和平社区卫生服务中心", UnitType.PUBLIC_INSTITUTION, 3,
     "承担辖区基本医疗和公共卫生服务，设有家庭医生签约服务团队。"),
    ("gongdian", "国网城区供电公司和平供电所", UnitType.STATE_ENTERPRISE, 1,
     "负责辖区供电运维，职工羽毛球馆在晚间和周末向居民开放。"),
    ("gonghang", "中国工商银行和平支行", UnitType.STATE_ENTERPRISE, 0,
     "国有商业银行网点，员工培训室可供社区组织开展培训活动。"),
    ("youzheng", "中国邮政和平邮政支局", UnitType.STATE_ENTERPRISE, 2,
     "提供邮政普遍服务和便民缴费服务。"),
    ("chengtou", "区城市建设投资集团有限公司", UnitType.STATE_ENTERPRISE, 3,
     "区属国有企业，负责城市基础设施投资建设；职工之家向周边居民开放。"),
    ("gongjiao", "市公交集团第三客运分公司", UnitType.STATE_ENTERPRISE, 1,
     "运营辖区十余条公交线路，驻地设有职工活动场所。"),
    ("ranqi", "市燃气集团城区分公司", UnitType.STATE_ENTERPRISE, 2,
     "负责城区燃气供应和安全检查，定期进社区开展用气安全宣传。"),
    ("dianxin", "中国电信城区分公司", UnitType.STATE_ENTERPRISE, 0,
     "通信运营企业，多媒体会议室可供社区开展线上线下会议。"),
    ("zilaishui", "市自来水集团东区供水所", UnitType.STATE_ENTERPRISE, 3,
     "负责东区供水管网运维和用水服务。"),
    ("huachuang", "华创科技有限公司", UnitType.PRIVATE_ENTERPRISE, 0,
     "软件和信息服务企业，路演厅和共享会议室在下班后向社区开放。"),
    ("xinyuan", "鑫源物业服务有限公司", UnitType.PRIVATE_ENTERPRISE, 1,
     "服务东风社区多个住宅小区的物业企业，管理小区文化广场。"),
    ("qimingxing", "启明星教育科技有限公司", UnitType.PRIVATE_ENTERPRISE, 2,
     "青少年素质教育机构，培训教室在课余时段公益开放。"),
    ("herun", "和润医药连锁有限公司", UnitType.PRIVATE_ENTERPRISE, 3,
     "连锁药店企业，长期参与社区义诊和用药咨询志愿服务。"),
    ("yunfan", "云帆网络科技有限公司", UnitType.PRIVATE_ENTERPRISE, 0,
     "互联网企业，积极参与社区数字助老志愿服务。"),
    ("hengyuan", "恒远建设集团有限公司", UnitType.PRIVATE_ENTERPRISE, 1,
     "建筑施工企业，参与老旧小区改造工程。"),
    ("meijia", "美佳超市连锁有限公司", UnitType.PRIVATE_ENTERPRISE, 2,
     "社区连锁超市，参与社区便民服务和节日慰问活动。"),
    ("zhixing", "知行文化传媒有限公司", UnitType.PRIVATE_ENTERPRISE, 3,
     "文化传媒企业，协助社区策划文化活动。"),
    ("hepingxiaoxue", "和平街小学", UnitType.SCHOOL, 0,
     "区属公办小学，足球场和舞蹈教室在课后及周末向社区开放。"),
    ("hepingzhongxue", "和平中学", UnitType.SCHOOL, 0,
     "区属完全中学，体育场馆在放学后和节假日向社区居民有序开放。"),
    ("dongfengxiaoxue", "东风小学", UnitType.SCHOOL, 1,
     "区属公办小学，百年老校，设有校史陈列室。"),
    ("guangming", "光明实验学校", UnitType.SCHOOL, 2,
     "九年一贯制学校，乒乓球室和灯光篮球场向周边居民开放。"),
    ("xinhuazhongxue", "新华中学", UnitType.SCHOOL, 3,
     "区属中学，拥有标准十一人制足球场，周末对外开放。"),
    ("zhiye", "区职业技术学校", UnitType.SCHOOL, 3,
     "中等职业学校，烹饪、汽修等实训室可用于社区技能培训。"),
    ("erzhong", "区第二中学", UnitType.SCHOOL, 1,
     "区属中学，风雨操场在晚间向居民开放羽毛球活动。"),
    ("youeryuan", "和平幼儿园", UnitType.SCHOOL, 2,
     "区属公办幼儿园，定期开展亲子教育讲座。"),
    ("zonggonghui", "区总工会", UnitType.OTHER, 0,
     "区职工服务中心所在地，活动室面向职工和社区居民开放。"),
    ("tuanquwei", "共青团区委", UnitType.OTHER, 1,
     "运营青年之家创客空间，服务辖区青年创新创业和志愿服务。"),
    ("fulian", "区妇女联合会", UnitType.OTHER, 2,
     "妇女儿童之家面向社区妇女组织和亲子团体开放。"),
    ("canlian", "区残疾人联合会", UnitType.OTHER, 3,
     "设有无障碍康复活动室，为残疾人提供康复训练和文体活动场所。"),
    ("hongshizihui", "区红十字会", UnitType.OTHER, 0,
     "开展应急救护培训和无偿献血宣传。"),
    ("gongshanglian", "区工商业联合会", UnitType.OTHER, 1,
     "联系服务辖区民营企业，组织企业参与社区共建。"),
    ("kexie", "区科学技术协会", UnitType.OTHER, 2,
     "组织科普进社区活动，联系区科技馆开展青少年科普教育。"),
    ("qiaolian", "区归国华侨联合会", UnitType.OTHER, 3,
     "服务归侨侨眷，定期举办联谊和文化交流活动。"),
)

# The demo unit managers' units; every other unit with venues gets its own liaison (联络员).
MANAGER_UNITS = ("hepingzhongxue", "hepingxiaoxue")
MANAGER2_UNITS = ("wenhuaguan",)

WORKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)

# Weekly opening hours: (weekdays, local "HH:MM-HH:MM" windows). Evenings and weekends first.
PROFILES: dict[str, tuple[tuple[tuple[int, ...], tuple[str, ...]], ...]] = {
    "evening_weekend": ((WORKDAYS, ("18:00-21:00",)), (WEEKEND, ("08:00-12:00", "14:00-18:00"))),
    "evening_weekend_full": ((WORKDAYS, ("18:00-21:00",)), (WEEKEND, ("08:00-18:00",))),
    "evenings": ((WORKDAYS, ("18:00-21:00",)), ((5,), ("14:00-18:00",))),
    "weekends": ((WEEKEND, ("08:00-12:00", "14:00-18:00")),),
    "day_evening": ((WORKDAYS, ("09:00-11:30", "14:00-17:00", "18:00-21:00")),
                    (WEEKEND, ("09:00-12:00", "14:00-17:00"))),
    # Touching windows join: Saturday and Sunday run 14:00-24:00 in one stretch.
    "late": ((WORKDAYS, ("18:00-24:00",)), (WEEKEND, ("08:00-12:00", "14:00-18:00",
                                                        "18:00-24:00"))),
    # The seasonal pair: summer hours until the switch date, winter hours from it.
    "summer_field": ((WORKDAYS, ("18:00-21:00",)), (WEEKEND, ("07:00-11:00", "15:00-19:00"))),
    "winter_field": ((WORKDAYS, ("18:00-20:00",)), (WEEKEND, ("08:00-12:00", "13:00-17:00"))),
}

# Titles residents give their bookings, by sport or venue kind.
RESIDENT_TITLES = {
    "篮球": ("社区篮球友谊赛", "周末篮球约战", "篮球训练", "父子篮球赛", "下班后打篮球"),
    "羽毛球": ("羽毛球双打练习", "邻里羽毛球赛", "羽毛球活动", "亲子羽毛球"),
    "乒乓球": ("乒乓球练习", "乒乓球友谊赛", "退休职工乒乓球活动", "乒乓球双打"),
    "足球": ("社区足球友谊赛", "少儿足球训练", "周末踢球", "五人制足球赛"),
    "健身": ("健身训练", "力量训练", "瑜伽练习", "动感单车"),
    "meeting_room": ("业主委员会会议", "楼门长会议", "读书分享会", "家长志愿者筹备会",
                     "小区改造意见征集会"),
    "training": ("老年智能手机培训", "书法兴趣班", "少儿编程体验课", "急救知识培训", "英语角"),
    "activity": ("广场舞排练", "亲子手工活动", "棋牌活动", "太极拳练习", "编织兴趣小组"),
    "other": ("社区跳蚤市场", "青年联谊会", "消夏晚会彩排", "创业分享会", "社区电影放映"),
}

# name, kind, community index, approved?, venue kinds or venue names it books, sport it
# plays, titles
ORGANIZATIONS: tuple[tuple[str, OrganizationKind, int, bool, tuple[str, ...], str,
                           tuple[str, ...]], ...] = (
    ("和平里社区党委", OrganizationKind.COMMUNITY_PARTY, 0, True,
     ("meeting_room", "阶梯教室", "员工培训室", "党群服务中心多功能厅"), "",
     ("党员学习会", "主题党日活动", "党课学习", "支部委员会会议")),
    ("东风社区居民委员会", OrganizationKind.RESIDENTS_COMMITTEE, 1, True,
     ("meeting_room", "党群服务中心多功能厅", "职工服务中心活动室", "小区文化广场"), "",
     ("居民议事会", "楼门长工作会", "社区协商议事会", "物业问题协调会")),
    ("光明社区老年合唱团", OrganizationKind.SOCIAL_ORG, 2, True,
     ("声乐排练室", "舞蹈排练厅", "党群服务中心多功能厅", "职工服务中心活动室"), "",
     ("老年合唱团排练", "合唱团声部练习", "社区文艺汇演彩排")),
    ("新华社区志愿服务队", OrganizationKind.VOLUNTEER_TEAM, 3, True,
     ("meeting_room", "阶梯教室", "员工培训室", "培训教室A", "警民共建活动室", "妇女儿童之家"),
     "",
     ("志愿者培训", "垃圾分类宣传培训", "应急救护培训", "志愿服务总结会")),
    ("和平里篮球爱好者协会", OrganizationKind.OTHER, 0, True, ("sports",), "篮球",
     ("社区篮球友谊赛", "篮球协会训练", "三人篮球赛")),
    ("东风社区羽毛球俱乐部", OrganizationKind.SOCIAL_ORG, 1, True, ("sports",), "羽毛球",
     ("羽毛球俱乐部活动", "羽毛球团体赛", "羽毛球教学")),
    ("光明社区居民委员会", OrganizationKind.RESIDENTS_COMMITTEE, 2, True,
     ("meeting_room", "妇女儿童之家", "警民共建活动室", "小区文化广场"), "",
     ("居民议事会", "社区评议会", "文明楼院评选会")),
    ("光明社区书画协会", OrganizationKind.SOCIAL_ORG, 2, False, ("书画教室",), "",
     ("书画交流", "书法练习")),
)
CHORUS, VOLUNTEERS = 2, 3  # indexes of the demo organizations in ORGANIZATIONS

NOTES_BY_KIND = {
    "sports": "请穿运动鞋入场，爱护场地设施，活动结束后带走个人垃圾；未成年人须由监护人陪同。",
    "meeting_room": "仅限会议、学习、议事等活动，室内禁止吸烟；使用后请关闭空调和投影，"
                    "恢复桌椅摆放。",
    "training": "请爱护教学设备，勿私自安装软件或挪动设备；所需耗材请自备。",
    "activity": "活动请控制音量，避免影响周边办公和居民休息；室内禁止明火和吸烟。",
    "other": "大型活动请提前提交活动方案和安全预案，并服从场地管理人员安排。",
}

REJECT_REASONS = (
    "该时段单位内部有会议安排，请改约其他时段。",
    "活动内容与场地用途不符。",
    "参加人数超出安全管理要求，请调整后重新申请。",
    "请补充活动方案后重新提交申请。",
)
MANAGER_CANCEL_REASONS = ("单位临时公务活动，深表歉意。", "场地设备故障，需紧急维修。",
                          "上级检查临时占用场地。")
BOOKER_CANCEL_REASONS = ("活动改期", "人数不足，取消活动", "天气原因", "", "临时有事")
RATING_COMMENTS = {
    5: ("场地干净整洁，管理员很热情！", "设施齐全，下次还约。", "孩子们玩得很开心。", ""),
    4: ("整体不错，空调有点冷。", "停车稍微不便。", "场地很好，就是更衣室有点小。", ""),
    3: ("灯光偏暗，希望改善。", "音响效果一般。", ""),
    2: ("到场后等了十分钟才开门。", "场地卫生需要加强。"),
    1: ("门卫不知道有预约，沟通了很久。",),
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹")
GIVEN_NAMES = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
               "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文",
               "华", "金凤", "玉兰", "志强", "海燕", "德明", "国庆", "红梅", "晓东", "子涵",
               "浩然", "雨萱", "思远", "俊杰", "欣怡", "振华", "淑华", "春生", "丽娟")


def _venue(unit: str, name: str, kind: str, capacity: int, hours: str, popularity: float,
           *, sport: str = "", equipment: Sequence[str] = (), floor: str = "",
           building: str = "", step_free: bool = False, accessible_toilet: bool = False,
           description: str = "", titles: Sequence[str] = (),
           **rules: Any) -> dict[str, Any]:
    """One venue of the demo: its fields, rules, weekly hours, how busy it is and what
    residents book it for (titles; by default those of its sport or kind)."""
    return {
        "unit": unit, "hours": hours, "popularity": popularity, "building": building,
        "titles": tuple(titles),
        "fields": {
            "name": name, "kind": kind, "sport": sport, "capacity": capacity,
            "equipment": list(equipment), "floor": floor, "step_free": step_free,
            "accessible_toilet": accessible_toilet, "description": description,
            "timezone": ZONE_NAME, **rules,
        },
    }


SPORTS_GRID = {"slot_minutes": 60, "min_duration_minutes": 60, "max_duration_minutes": 120}

VENUES: tuple[dict[str, Any], ...] = (
    _venue("jiedao", "党群服务中心会议室", "meeting_room", 30, "evening_weekend", 0.14,
           equipment=("投影仪", "电子白板", "无线话筒", "空调"), floor="2层",
           building="党群服务中心", step_free=True, accessible_toilet=True,
           description="街道党群服务中心二楼会议室，圆桌布局，适合议事协商和学习交流。"),
    _venue("jiedao", "党群服务中心多功能厅", "activity", 80, "evening_weekend_full", 0.12,
           equipment=("音响", "LED大屏", "小舞台", "折叠椅"), floor="1层",
           building="党群服务中心", step_free=True, accessible_toilet=True,
           description="可容纳80人的多功能厅，适合文艺排练、讲座和小型演出。",
           requires_approval=True, buffer_minutes=30,
           titles=("社区文艺排练", "健康讲座", "太极拳练习", "亲子手工活动")),
    _venue("jianchayuan", "机关第二会议室", "meeting_room", 20, "evenings", 0.08,
           equipment=("投影仪", "会议桌", "空调"), floor="3层", building="办公楼",
           description="长桌会议室，20个座位，进出需在门卫处登记。",
           requires_approval=True, audience="organizations", min_notice_minutes=1440),
    _venue("shuiwusuo", "职工乒乓球室", "sports", 16, "evening_weekend", 0.26, sport="乒乓球",
           equipment=("乒乓球台4张", "发球机", "更衣柜"), floor="地下1层", building="综合楼",
           description="四张标准比赛球台，灯光充足，地面铺设专业地胶。",
           audience="residents", max_duration_minutes=120),
    _venue("paichusuo", "警民共建活动室", "activity", 25, "evening_weekend", 0.06,
           equipment=("投影仪", "宣传展板", "桌椅"), floor="1层", building="派出所东侧",
           step_free=True, description="用于反诈宣传、安全讲座和警民恳谈活动。",
           titles=("反诈知识讲座", "楼门长安全培训", "邻里守望交流会")),
    _venue("tushuguan", "学术报告厅", "meeting_room", 150, "day_evening", 0.07,
           equipment=("投影仪", "音响", "无线话筒", "舞台灯光"), floor="4层",
           building="图书馆主楼", step_free=True, accessible_toilet=True,
           description="阶梯式报告厅，适合讲座、读书会和颁奖活动。",
           requires_approval=True, buffer_minutes=30, min_notice_minutes=1440),
    _venue("tushuguan", "少儿活动区", "activity", 30, "day_evening", 0.10,
           equipment=("绘本", "儿童桌椅", "投影仪"), floor="2层", building="图书馆主楼",
           step_free=True, accessible_toilet=True,
           description="少儿阅览室旁的活动区，适合亲子阅读和绘本故事会。",
           titles=("亲子阅读会", "绘本故事会", "亲子手工活动")),
    _venue("wenhuaguan", "舞蹈排练厅", "activity", 40, "day_evening", 0.20,
           equipment=("把杆", "落地镜", "音响", "木地板"), floor="3层", building="文化馆",
           step_free=True, description="专业木地板舞蹈排练厅，社区舞蹈队、广场舞团队常用。",
           buffer_minutes=15, titles=("广场舞排练", "民族舞练习", "社区舞蹈队排练", "健身操")),
    _venue("wenhuaguan", "声乐排练室", "training", 25, "day_evening", 0.16,
           equipment=("钢琴", "音响", "谱架"), floor="3层", building="文化馆",
           description="做过隔音处理的声乐排练室，配有立式钢琴。",
           titles=("合唱练习", "声乐兴趣小组", "戏曲票友活动", "器乐合奏练习")),
    _venue("qingshaonian", "书画教室", "training", 30, "evening_weekend", 0.10,
           equipment=("书画桌", "毛毡", "展示墙"), floor="2层", building="青少年活动中心",
           description="宽大书画桌15张，适合书法绘画教学和交流。",
           titles=("书法练习", "国画兴趣班", "少儿书法体验课")),
    _venue("qingshaonian", "室内篮球馆", "sports", 40, "evening_weekend_full", 0.30,
           sport="篮球", equipment=("标准篮球架", "电子计分牌", "更衣室", "淋浴"), floor="1层",
           building="体育馆", step_free=True, accessible_toilet=True,
           description="标准室内篮球场，木地板，冬季有暖气。",
           requires_approval=True, **SPORTS_GRID),
    _venue("laonian", "电脑培训教室", "training", 30, "day_evening", 0.10,
           equipment=("电脑30台", "投影仪", "空调"), floor="2层", building="教学楼",
           step_free=True, description="三十台电脑，适合智能手机和电脑操作培训。",
           titles=("老年智能手机培训", "电脑基础操作学习", "短视频剪辑入门")),
    _venue("gongdian", "职工羽毛球馆", "sports", 24, "evening_weekend", 0.30, sport="羽毛球",
           equipment=("羽毛球场地4片", "塑胶地胶", "更衣室"), floor="1层", building="职工之家",
           description="四片标准羽毛球场，晚间和周末向居民开放。",
           requires_check_in=True, max_advance_days=7, **SPORTS_GRID),
    _venue("gonghang", "员工培训室", "training", 40, "evening_weekend", 0.06,
           equipment=("投影仪", "培训电脑", "话筒"), floor="5层", building="支行办公楼",
           description="课桌式布局，可用于金融知识普及和技能培训。",
           requires_approval=True, audience="organizations", min_notice_minutes=1440),
    _venue("chengtou", "职工健身房", "sports", 20, "late", 0.14, sport="健身",
           equipment=("跑步机", "动感单车", "哑铃", "瑜伽垫"), floor="1层", building="职工之家",
           step_free=True, description="器械齐全的健身房，晚间开放至24:00。",
           audience="residents", requires_check_in=True),
    _venue("chengtou", "第一会议室", "meeting_room", 60, "evening_weekend", 0.06,
           equipment=("视频会议系统", "投影仪", "话筒"), floor="8层", building="集团大厦",
           step_free=True, accessible_toilet=True,
           description="可召开视频会议的大会议室，适合社区联席会议。"),
    _venue("huachuang", "创新路演厅", "other", 100, "evening_weekend_full", 0.05,
           equipment=("LED大屏", "音响", "直播设备"), floor="1层", building="华创大厦",
           step_free=True, accessible_toilet=True,
           description="开放式路演厅，可举办创业分享、青年联谊等活动。",
           requires_approval=True, buffer_minutes=30,
           titles=("创业分享会", "青年联谊会", "科技讲座")),
    _venue("huachuang", "共享会议室", "meeting_room", 12, "evening_weekend", 0.12,
           equipment=("电视屏幕", "白板", "无线投屏"), floor="6层", building="华创大厦",
           description="小型会议室，适合十人左右的讨论。"),
    _venue("xinyuan", "小区文化广场", "other", 200, "evening_weekend_full", 0.08,
           equipment=("户外音响", "照明灯", "移动舞台"), building="东风家园小区中心",
           step_free=True, description="露天广场，适合广场舞、社区集市和露天电影。",
           titles=("广场舞", "社区跳蚤市场", "露天电影放映", "消夏晚会")),
    _venue("qimingxing", "培训教室A", "training", 35, "evening_weekend", 0.08,
           equipment=("智慧黑板", "课桌椅", "空调"), floor="3层", building="启明星大楼",
           description="标准教室，课余时段公益开放。",
           titles=("英语角", "少儿编程体验课", "家长课堂")),
    _venue("hepingxiaoxue", "五人制足球场", "sports", 20, "seasonal", 0.30, sport="足球",
           equipment=("人造草坪", "球门", "夜间照明"), building="学校操场东侧",
           step_free=True, description="人造草坪五人制足球场，夜间有照明，开放时间随季节调整。",
           **SPORTS_GRID),
    _venue("hepingxiaoxue", "舞蹈教室", "activity", 30, "weekends", 0.12,
           equipment=("落地镜", "把杆", "音响"), floor="3层", building="艺术楼",
           description="周末开放的舞蹈教室。",
           titles=("少儿舞蹈练习", "广场舞排练", "亲子舞蹈")),
    _venue("hepingzhongxue", "室外篮球场", "sports", 30, "evening_weekend", 0.35, sport="篮球",
           equipment=("篮球架2副", "夜间照明", "饮水机"), building="田径场北侧",
           step_free=True, description="两片室外标准篮球场，塑胶场地，夜间照明。",
           audience="residents", max_active_per_user=2, **SPORTS_GRID),
    _venue("hepingzhongxue", "体育馆羽毛球场", "sports", 24, "evening_weekend", 0.26,
           sport="羽毛球", equipment=("羽毛球场地6片", "更衣室", "淋浴"), floor="2层",
           building="体育馆", step_free=True, accessible_toilet=True,
           description="体育馆二层六片羽毛球场。",
           requires_approval=True, requires_check_in=True, **SPORTS_GRID),
    _venue("hepingzhongxue", "阶梯教室", "training", 120, "evening_weekend", 0.06,
           equipment=("投影仪", "音响", "话筒"), floor="1层", building="科技楼",
           step_free=True, description="120座阶梯教室，适合讲座和培训。",
           requires_approval=True, audience="organizations"),
    _venue("guangming", "乒乓球室", "sports", 12, "evening_weekend", 0.22, sport="乒乓球",
           equipment=("乒乓球台3张", "球拍"), floor="1层", building="风雨操场",
           description="三张球台，适合社区乒乓球爱好者。", max_advance_days=7),
    _venue("guangming", "灯光篮球场", "sports", 30, "evening_weekend_full", 0.24, sport="篮球",
           equipment=("篮球架", "夜间照明"), building="操场西侧", step_free=True,
           description="室外灯光篮球场。", slot_minutes=60, min_duration_minutes=60,
           max_duration_minutes=180),
    _venue("xinhuazhongxue", "标准足球场", "sports", 44, "weekends", 0.30, sport="足球",
           equipment=("天然草坪", "标准球门", "看台"), building="田径场", step_free=True,
           description="十一人制标准足球场，周末向社区球队开放。",
           titles=("社区足球联赛", "十一人制足球友谊赛", "周末踢球", "少儿足球训练"),
           slot_minutes=60, min_duration_minutes=60, max_duration_minutes=180),
    _venue("zhiye", "烹饪实训室", "training", 20, "evening_weekend", 0.06,
           equipment=("灶台10组", "烤箱", "冰箱", "餐具"), floor="1层", building="实训楼",
           description="配备十组灶台的烹饪实训室，可开展家政和厨艺培训。",
           requires_approval=True,
           titles=("厨艺交流", "家常菜烹饪培训", "社区包饺子活动")),
    _venue("erzhong", "风雨操场", "sports", 30, "evenings", 0.22, sport="羽毛球",
           equipment=("羽毛球场地5片", "照明"), building="风雨操场",
           description="室内风雨操场，晚间开放羽毛球。", **SPORTS_GRID),
    _venue("dianxin", "多媒体会议室", "meeting_room", 40, "evening_weekend", 0.06,
           equipment=("视频会议系统", "投影仪", "音响"), floor="3层", building="通信楼",
           step_free=True, description="可开展线上线下结合的会议和培训。"),
    _venue("zonggonghui", "职工服务中心活动室", "activity", 50, "evening_weekend_full", 0.12,
           equipment=("棋牌桌", "乒乓球台", "图书角"), floor="1层", building="职工服务中心",
           step_free=True, accessible_toilet=True,
           description="集棋牌、阅读、休闲于一体的活动室。",
           titles=("棋牌活动", "象棋比赛", "读书会", "退休职工联谊")),
    _venue("canlian", "康复活动室", "activity", 20, "day_evening", 0.06,
           equipment=("康复器材", "按摩椅", "无障碍扶手"), floor="1层", building="残联服务中心",
           step_free=True, accessible_toilet=True,
           description="全无障碍设计的康复活动室，适合残疾人康复训练和文体活动。",
           titles=("康复训练", "助残志愿活动", "健康讲座")),
    _venue("fulian", "妇女儿童之家", "activity", 30, "evening_weekend", 0.08,
           equipment=("儿童绘本", "手工材料", "投影仪"), floor="2层", building="妇联办公楼",
           step_free=True, description="面向妇女组织和亲子团体的活动空间。",
           audience="organizations"),
    _venue("tuanquwei", "青年之家创客空间", "other", 40, "late", 0.06,
           equipment=("3D打印机", "激光切割机", "电脑"), floor="2层", building="青年之家",
           description="创客空间，适合青年创新创业活动和科技兴趣小组，晚间开放至24:00。",
           titles=("创客工作坊", "3D打印体验", "青少年科技兴趣小组")),
)


# Small helpers ------------------------------------------------------------------------------


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _windows(profile: str, valid_from: date, valid_until: date | None = None) -> list[Window]:
    windows = []
    for weekdays, spans in PROFILES[profile]:
        for weekday in weekdays:
            for span in spans:
                start, end = span.split("-")
                windows.append(Window(weekday, _minutes(start), _minutes(end), valid_from,
                                      valid_until))
    return windows


def _weekly_hours(windows: Sequence[Window], day: date) -> float:
    return sum((w.end_minute - w.start_minute) / 60 for w in windows
               if w.valid_from <= day and (w.valid_until is None or day <= w.valid_until))


def _local(day: date, minute: int) -> datetime:
    return local_instant(day, minute, ZONE)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3579')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


def _names(rng: random.Random, taken: set[str]):
    """Distinct Chinese names, none of them already taken."""
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            yield name


def _between(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    """A whole minute in [earliest, latest] (earliest when the range is empty)."""
    span = int((latest - earliest).total_seconds() // 60)
    return earliest + timedelta(minutes=rng.randint(0, span)) if span > 0 else earliest


# The district ------------------------------------------------------------------------------


class _District:
    """What the seed builds, kept at hand while it writes the bookings."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.today = now.astimezone(ZONE).date()
        self.setup = now - timedelta(days=SETUP_DAYS)
        self.users: dict[str, User] = {}
        self.residents: list[User] = []
        self.units: dict[str, Unit] = {}
        self.managers: dict[int, User] = {}  # unit id → the manager who decides
        self.venues: list[Venue] = []
        self.windows: dict[int, list[Window]] = {}
        self.popularity: dict[int, float] = {}
        self.titles: dict[int, tuple[str, ...]] = {}
        self.organizations: list[Organization] = []
        self.org_specs: dict[int, tuple] = {}
        self.taken: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.no_shows: dict[int, int] = defaultdict(int)
        self.names = _names(rng, {spec[2] for spec in LOGINS.values()})

    # People and places ---------------------------------------------------------------------

    def build_places(self) -> tuple[Street, list[Community]]:
        street = create_street(name=STREET)
        communities = [create_community(name=name, street=street) for name in COMMUNITIES]
        for place in (street, *communities):
            place.created_at = self.setup
        return street, communities

    def build_logins(self, communities: list[Community]) -> None:
        homes = {"admin": None, "manager": 0, "manager2": 1, "resident": 0, "member": 2,
                 "orgadmin": 2}
        for key, password, name in LOGINS.values():
            home = homes[key]
            self.users[key] = create_user(
                email=f"{key}@{DOMAIN}", password=password, name=name, now=self.setup,
                phone=_phone(self.rng), is_admin=key == "admin",
                community=communities[home] if home is not None else None,
            )

    def add_user(self, email: str, like: User, community: Community | None,
                 created: datetime) -> User:
        """A further demo user sharing a login's password (hashed once, which keeps the seed
        fast: every hash costs a tenth of a second)."""
        user = User(email=email, name=next(self.names), phone=_phone(self.rng),
                    community=community, password_hash=like.password_hash, created_at=created)
        db.session.add(user)
        db.session.flush()
        return user

    def build_residents(self, communities: list[Community]) -> None:
        extra = [
            self.add_user(f"resident{i:02d}@{DOMAIN}", self.users["resident"],
                          communities[(i - 1) % len(communities)],
                          self.setup + timedelta(hours=self.rng.randint(1, 20)))
            for i in range(1, 21)
        ]
        # The demo logins live in the district too and book like anyone else.
        self.residents = [self.users["resident"], self.users["member"],
                          self.users["orgadmin"], *extra]

    def build_units(self, communities: list[Community]) -> None:
        rng = self.rng
        with_venues = {spec["unit"] for spec in VENUES}
        for number, (key, name, unit_type, home, description) in enumerate(UNITS):
            if key in MANAGER_UNITS:
                manager = self.users["manager"]
            elif key in MANAGER2_UNITS:
                manager = self.users["manager2"]
            elif key in with_venues:
                manager = self.add_user(f"{key}@{DOMAIN}", self.users["manager"], None,
                                        self.setup)
            else:
                manager = None
            road = ROADS[home][number % 2]
            unit = create_unit(
                name=name, type=unit_type, community=communities[home],
                address=f"{road}{rng.randint(2, 188)}号",
                contact_name=manager.name if manager else next(self.names),
                contact_phone=manager.phone if manager else _phone(rng),
                description=description,
            )
            unit.created_at = self.setup
            if manager is not None:
                assign_manager(unit=unit, user=manager)
                self.managers[unit.id] = manager
            self.units[key] = unit

    def build_organizations(self, communities: list[Community]) -> None:
        rng = self.rng
        founders = {CHORUS: self.users["orgadmin"]}
        pool = self.residents[3:]
        for index, spec in enumerate(ORGANIZATIONS):
            name, kind, home, approved = spec[:4]
            founder = founders.get(index) or pool[index % len(pool)]
            created = self.setup + timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 9))
            organization = create_organization(name=name, kind=kind, community=communities[home],
                                               founder=founder, now=created)
            organization.description = f"{COMMUNITIES[home]}的{name}，欢迎辖区居民加入。"
            if approved:
                approve_organization(organization=organization,
                                     now=created + timedelta(hours=rng.randint(2, 48)))
            members = rng.sample([u for u in pool if u is not founder], rng.randint(3, 6))
            if index in (CHORUS, VOLUNTEERS):
                members.append(self.users["member"])
            for member in members:
                add_member(organization=organization, user=member)
            for membership in organization.memberships:
                membership.created_at = created + timedelta(days=rng.randint(0, 5))
            self.organizations.append(organization)
            self.org_specs[organization.id] = spec

    def build_venues(self) -> None:
        admin = self.users["admin"]
        setup_day = self.setup.astimezone(ZONE).date()
        switch = (self.today - timedelta(days=20)).replace(day=1)
        for number, spec in enumerate(VENUES):
            unit = self.units[spec["unit"]]
            fields = dict(spec["fields"])
            fields["address"] = f"{unit.address} {spec['building']}".strip()
            fields["booking_notes"] = self._notes(spec, switch)
            created = self.setup + timedelta(hours=2, minutes=7 * number)
            venue = create_venue(unit=unit, actor=admin, now=created, **fields)
            if spec["hours"] == "seasonal":
                windows = (_windows("summer_field", setup_day, switch - timedelta(days=1))
                           + _windows("winter_field", switch))
            else:
                windows = _windows(spec["hours"], setup_day)
            set_opening_hours(venue=venue, windows=windows, actor=admin, now=created)
            self.venues.append(venue)
            self.windows[venue.id] = windows
            self.popularity[venue.id] = spec["popularity"]
            self.titles[venue.id] = spec["titles"]

    def _notes(self, spec: dict[str, Any], switch: date) -> str:
        fields = spec["fields"]
        lines = [NOTES_BY_KIND[fields["kind"]]]
        if spec["hours"] == "seasonal":
            lines.append(f"自{switch.month}月{switch.day}日起执行冬季开放时间：工作日18:00-20:00，"
                         "周末08:00-12:00、13:00-17:00。")
        if fields.get("requires_approval"):
            lines.append("本场地预约需单位管理员审核，审核结果将通过站内通知告知。")
        if fields.get("requires_check_in"):
            lines.append("请在开始前15分钟至开始后15分钟内签到，逾时未签到视为爽约，场地将被释放。")
        audience = fields.get("audience")
        if audience == "organizations":
            lines.append("本场地仅接受社区组织的团体预约。")
        elif audience == "residents":
            lines.append("本场地仅接受居民个人预约。")
        if fields.get("buffer_minutes"):
            lines.append(f"相邻两场预约之间预留{fields['buffer_minutes']}分钟清场整理时间。")
        if fields.get("min_notice_minutes", 60) >= 1440:
            lines.append(f"请至少提前{fields['min_notice_minutes'] // 60}小时预约。")
        lines.append("如需取消请至少提前2小时在线取消；90天内爽约3次将暂停预约资格30天。")
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))

    def build_closures(self) -> None:
        def venue(name: str) -> Venue:
            return next(v for v in self.venues if v.name == name)

        def add(v: Venue, start: datetime, end: datetime | None, reason: ClosureReason,
                note: str, created: datetime) -> None:
            add_closure(venue=v, start=start, end=end, reason=reason, note=note,
                        actor=self.managers[v.unit_id], now=min(created, self.now))

        today = self.today
        badminton = venue("职工羽毛球馆")
        start = _local(today - timedelta(days=45), 0)
        add(badminton, start, _local(today - timedelta(days=40), 0), ClosureReason.MAINTENANCE,
            "场地地胶翻新", start - timedelta(days=10))
        hall = venue("学术报告厅")
        event_day = today + timedelta(days=6)
        add(hall, _local(event_day, 9 * 60), _local(event_day, 17 * 60), ClosureReason.EVENT,
            "区图书馆读书节开幕式", self.now - timedelta(days=2))
        national_day = date(today.year if today > date(today.year, 10, 8) else today.year - 1,
                            10, 1)
        if (today - national_day).days <= HISTORY_DAYS:
            start = _local(national_day, 0)
            add(venue("员工培训室"), start, _local(national_day + timedelta(days=7), 0),
                ClosureReason.HOLIDAY, "国庆假期暂停开放", start - timedelta(days=14))
        kitchen = venue("烹饪实训室")
        start = _local(today - timedelta(days=3), 0)
        add(kitchen, start, None, ClosureReason.SUSPENSION, "燃气管道检修，暂停开放", start)

    def build_agreements(self, street: Street) -> None:
        rng = self.rng
        admin = self.users["admin"]
        first = (self.today - timedelta(days=SETUP_DAYS)).replace(month=1, day=1)
        last = date(self.today.year, 12, 31)
        weekly: dict[int, float] = defaultdict(float)
        for v in self.venues:
            weekly[v.unit_id] += _weekly_hours(self.windows[v.id], self.today)
        for number, unit in enumerate(self.units.values()):
            if number % 6 == 5:  # a few units have not signed yet
                continue
            open_hours = weekly.get(unit.id, 0.0)
            if open_hours:
                # Some keep their promise comfortably, some fall short of it.
                committed = round(open_hours * rng.uniform(0.6, 1.25) * 2) / 2
            else:
                committed = float(rng.choice((4, 6, 8)))
            by_street = rng.random() < 0.3
            counterparty = street.name if by_street else unit.community.name
            signed = first - timedelta(days=rng.randint(5, 20))
            agreement = Agreement(
                unit=unit, street=street if by_street else None,
                community=None if by_street else unit.community, signed_on=signed,
                valid_from=first, valid_until=last,
                committed_hours_per_week=Decimal(str(committed)),
                notes=f"{unit.name}与{counterparty}签订共驻共建协议，承诺每周开放场地不少于"
                      f"{committed:g}小时，优先保障晚间和周末时段。",
                # Entered when the district joined the platform; signed on paper before.
                created_at=self.setup + timedelta(days=1, minutes=number),
            )
            db.session.add(agreement)
            db.session.flush()
            audit.record(actor=admin, action="agreement.create", obj=agreement,
                         now=agreement.created_at,
                         after={**audit.snapshot(agreement, (
                             "unit_id", "community_id", "street_id", "signed_on", "valid_from",
                             "valid_until", "notes")),
                             "committed_hours_per_week": str(agreement.committed_hours_per_week)},
                         unit_id=unit.id)

    # Bookings ------------------------------------------------------------------------------

    def _free(self, venue: Venue, start: datetime, end: datetime) -> bool:
        buffer = timedelta(minutes=venue.buffer_minutes)
        return all(e + buffer <= start or end + buffer <= s for s, e in self.taken[venue.id])

    def _slot(self, venue: Venue, day: date, window: Window,
              earliest: datetime | None) -> tuple[datetime, datetime] | None:
        """A free slot on the venue's grid inside one opening window of `day`."""
        rng = self.rng
        grid = venue.slot_minutes
        durations = [d for d in (60, 90, 120, 150, 180)
                     if venue.min_duration_minutes <= d <= venue.max_duration_minutes
                     and d % grid == 0]
        first = -(-window.start_minute // grid) * grid
        for _ in range(3):
            length = rng.choice(durations[:3])
            last = window.end_minute - length
            if last < first:
                continue
            minute = first + grid * rng.randint(0, (last - first) // grid)
            start, end = _local(day, minute), _local(day, minute + length)
            if earliest is not None and start < earliest:
                continue
            if self._free(venue, start, end):
                return start, end
        return None

    def _who(self, venue: Venue) -> tuple[User, Organization | None, str]:
        """A booker, maybe an organization, and a title that suit the venue."""
        rng = self.rng
        kind, sport = venue.kind.value, venue.sport
        fitting = [o for o in self.organizations if o.is_approved
                   and {kind, venue.name} & set(self.org_specs[o.id][4])
                   and (not self.org_specs[o.id][5] or self.org_specs[o.id][5] == sport)]
        audience = venue.audience.value
        as_org = fitting and (audience == "organizations"
                              or (audience == "both" and rng.random() < 0.35))
        if audience == "organizations" and not fitting:
            fitting = [o for o in self.organizations if o.is_approved
                       and "meeting_room" in self.org_specs[o.id][4]]
            as_org = True
        if as_org:
            organization = rng.choice(fitting)
            booker = rng.choice([m.user for m in organization.memberships])
            return booker, organization, rng.choice(self.org_specs[organization.id][6])
        weights = [2, 1.5, 1.5] + [1] * (len(self.residents) - 3)
        booker = rng.choices(self.residents, weights)[0]
        titles = self.titles[venue.id] or RESIDENT_TITLES.get(sport) or RESIDENT_TITLES[kind]
        return booker, None, rng.choice(titles)

    def _attendees(self, venue: Venue, organization: Organization | None) -> int:
        rng = self.rng
        capacity = venue.capacity
        if venue.sport in ("羽毛球", "乒乓球", "健身"):
            return rng.randint(1 if venue.sport == "健身" else 2, min(capacity, 8))
        if venue.sport == "篮球":
            return rng.randint(6, min(capacity, 20))
        if venue.sport == "足球":
            return rng.randint(min(capacity, 10), min(capacity, 26))
        low = max(2, capacity // 6 if organization is None else capacity // 4)
        return rng.randint(min(low, capacity), max(min(low, capacity), int(capacity * 0.8)))

    def _book(self, venue: Venue, start: datetime, end: datetime, clock: datetime,
              who: tuple[User, Organization | None, str] | None = None) -> Booking | None:
        booker, organization, title = who or self._who(venue)
        try:
            booking = create_booking(
                venue_id=venue.id, booker=booker, start=start, end=end, title=title,
                attendees=self._attendees(venue, organization),
                organization_id=organization.id if organization else None, now=clock,
            )
        except DomainError:
            return None
        self.taken[venue.id].append((start, end))
        return booking

    def _windows_on(self, venue: Venue, day: date) -> list[Window]:
        return [w for w in self.windows[venue.id] if w.weekday == day.weekday()
                and w.valid_from <= day and (w.valid_until is None or day <= w.valid_until)]

    def book_past(self) -> None:
        rng = self.rng
        for offset in range(HISTORY_DAYS, 0, -1):
            day = self.today - timedelta(days=offset)
            for venue in self.venues:
                if venue.created_at.astimezone(ZONE).date() >= day:
                    continue
                chance = PAST_SCALE * self.popularity[venue.id] * (
                    1.4 if day.weekday() >= 5 else 1.0)
                for window in self._windows_on(venue, day):
                    for _ in range(2 if window.end_minute - window.start_minute >= 360 else 1):
                        if rng.random() >= chance:
                            continue
                        slot = self._slot(venue, day, window, None)
                        if slot is not None:
                            self._live_through(venue, *slot)

    def _live_through(self, venue: Venue, start: datetime, end: datetime) -> None:
        """Book a past slot with an earlier clock, then play out what happened to it."""
        rng = self.rng
        shortest = max(venue.min_notice_minutes + 60, 180)
        longest = max(shortest, min(venue.max_advance_days * 1440 - 60, 6 * 1440))
        created = start - timedelta(minutes=rng.randint(shortest, longest))
        booking = self._book(venue, start, end, created)
        if booking is None:
            return
        manager = self.managers[venue.unit_id]
        booker = booking.booker
        draw = rng.random()
        decided = created
        if venue.requires_approval:
            decided = _between(rng, created + timedelta(minutes=20),
                               min(created + timedelta(hours=30), start - timedelta(minutes=30)))
            if draw < 0.06:
                expire_booking(booking=booking, now=start + timedelta(minutes=1))
                return
            if draw < 0.16:
                reject_booking(booking=booking, actor=manager, reason=rng.choice(REJECT_REASONS),
                               now=decided)
                return
            approve_booking(booking=booking, actor=manager, now=decided)
        draw = rng.random()
        if draw < 0.09:
            cancel_booking(booking=booking, actor=booker,
                           now=_between(rng, decided + timedelta(minutes=10),
                                        start - timedelta(minutes=5)),
                           reason=rng.choice(BOOKER_CANCEL_REASONS))
            return
        if draw < 0.11:
            cancel_booking(booking=booking, actor=manager,
                           now=_between(rng, decided + timedelta(minutes=10),
                                        start - timedelta(minutes=30)),
                           reason=rng.choice(MANAGER_CANCEL_REASONS))
            return
        demo_login = booker.email.split("@")[0] in {spec[0] for spec in LOGINS.values()}
        no_show_cap = 1 if demo_login else 2  # nobody reaches the 3-in-90-days suspension
        if draw < 0.16 and self.no_shows[booker.id] < no_show_cap:
            self.no_shows[booker.id] += 1
            if venue.requires_check_in:
                release_no_show(booking=booking, now=start + timedelta(minutes=16))
            else:
                mark_no_show(booking=booking, actor=manager,
                             now=min(end + timedelta(minutes=rng.randint(20, 720)), self.now))
            return
        if venue.requires_check_in:
            check_in_booking(booking=booking, actor=booker,
                             now=start - timedelta(minutes=rng.randint(0, 14)))
        complete_booking(booking=booking, now=min(end + timedelta(minutes=1), self.now))
        if rng.random() < (0.7 if demo_login else 0.4):
            rating = rng.choices((5, 4, 3, 2, 1), (50, 33, 11, 4, 2))[0]
            rate_booking(booking=booking, actor=booker, rating=rating,
                         comment=rng.choice(RATING_COMMENTS[rating]),
                         now=min(end + timedelta(minutes=rng.randint(30, 3 * 1440)), self.now))

    def book_future(self) -> None:
        """Bookings made today through the rules, then some approved, rejected, cancelled."""
        rng = self.rng
        now = self.now
        self._showcase()
        for offset in range(HORIZON_DAYS + 1):
            day = self.today + timedelta(days=offset)
            for venue in self.venues:
                earliest = now + timedelta(minutes=venue.min_notice_minutes)
                if day > (now + timedelta(days=venue.max_advance_days)).astimezone(ZONE).date():
                    continue
                chance = FUTURE_SCALE * self.popularity[venue.id] * max(0.25, 1.3 - 0.08 * offset)
                for window in self._windows_on(venue, day):
                    if rng.random() >= chance:
                        continue
                    slot = self._slot(venue, day, window, earliest)
                    if slot is None or slot[0] > now + timedelta(days=venue.max_advance_days):
                        continue
                    booking = self._book(venue, *slot, now)
                    if booking is not None:
                        self._decide_future(booking)

    def _decide_future(self, booking: Booking) -> None:
        rng = self.rng
        manager = self.managers[booking.venue.unit_id]
        draw = rng.random()
        if booking.status == BookingStatus.PENDING:
            if draw < 0.12:
                reject_booking(booking=booking, actor=manager, reason=rng.choice(REJECT_REASONS),
                               now=self.now)
                return
            if draw < 0.5:
                approve_booking(booking=booking, actor=manager, now=self.now)
        draw = rng.random()
        if draw < 0.08:
            cancel_booking(booking=booking, actor=booking.booker, now=self.now,
                           reason=rng.choice(BOOKER_CANCEL_REASONS))
        elif draw < 0.09 and booking.status == BookingStatus.CONFIRMED:
            cancel_booking(booking=booking, actor=manager, now=self.now,
                           reason=rng.choice(MANAGER_CANCEL_REASONS))

    def _showcase(self) -> None:
        """A few upcoming bookings for the demo logins, so each has something to look at."""
        resident, member = self.users["resident"], self.users["member"]
        orgadmin = self.users["orgadmin"]
        chorus, volunteers = self.organizations[CHORUS], self.organizations[VOLUNTEERS]
        saturday = self.today + timedelta(days=(5 - self.today.weekday()) % 7 or 7)
        if (saturday - self.today).days < 2:
            saturday += timedelta(days=7)
        weekday = self.today + timedelta(days=2)
        while weekday.weekday() >= 5:
            weekday += timedelta(days=1)
        later = weekday + timedelta(days=1)
        while later.weekday() >= 5:
            later += timedelta(days=1)
        plans = (
            ("室外篮球场", saturday, "09:00", "11:00", (resident, None, "周末篮球约战")),
            ("体育馆羽毛球场", weekday, "19:00", "20:00", (resident, None, "羽毛球双打练习")),
            ("职工乒乓球室", later, "19:00", "20:30", (resident, None, "乒乓球练习")),
            ("声乐排练室", weekday, "18:30", "20:30", (member, chorus, "老年合唱团排练")),
            ("党群服务中心多功能厅", saturday, "14:00", "16:00",
             (orgadmin, chorus, "社区文艺汇演彩排")),
            ("阶梯教室", later, "19:00", "20:30", (member, volunteers, "垃圾分类宣传培训")),
        )
        for name, day, start, end, who in plans:
            venue = next(v for v in self.venues if v.name == name)
            self._book(venue, _local(day, _minutes(start)), _local(day, _minutes(end)),
                       self.now, who)
        # The choir rehearses every week: a recurring series (its free dates are booked).
        choir_room = next(v for v in self.venues if v.name == "声乐排练室")
        with contextlib.suppress(DomainError):
            create_series(venue_id=choir_room.id, booker=orgadmin, title="老年合唱团每周排练",
                          attendees=min(30, choir_room.capacity), organization_id=chorus.id,
                          start_date=later, count=8, weekdays=[later.weekday()],
                          start_time="18:30", end_time="20:30", now=self.now)

    def read_old_notifications(self) -> None:
        """Notices older than two days have long been read."""
        db.session.execute(
            sa.update(Notification)
            .where(Notification.created_at < self.now - timedelta(days=2),
                   Notification.read_at.is_(None))
            .values(read_at=Notification.created_at)
            .execution_options(synchronize_session=False)
        )


def seed_demo(*, now: datetime) -> dict[str, str]:
    """Fill an empty database with a realistic demo district; answer {role: "email / password"}.

    Only flushes: the caller commits.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("seed_demo needs an aware `now`")
    district = _District(random.Random(SEED), now)
    street, communities = district.build_places()
    district.build_logins(communities)
    district.build_residents(communities)
    district.build_units(communities)
    district.build_organizations(communities)
    district.build_venues()
    district.build_closures()
    district.build_agreements(street)
    district.book_past()
    district.book_future()
    district.read_old_notifications()
    db.session.flush()
    return {role: f"{key}@{DOMAIN} / {password}" for role, (key, password, _) in LOGINS.items()}
