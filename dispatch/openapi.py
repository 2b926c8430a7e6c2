"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from dispatch.handling import ACTIONS
from dispatch.lifecycle import STATUS_LABELS
from dispatch.workcal import TIERS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERR = _json(_ref("Error"), "错误：{error: 代码, message: 中文说明}")
_ID = {
    "name": "ticket_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{13}$"},
}
_MONTH = {"name": "month", "in": "query", "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}}


def openapi_document() -> dict[str, Any]:
    category = {"type": ["object", "null"], "properties": {k: {"type": "string"} for k in ("l1", "l2", "l3")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "jiesu 派单后台 API", "version": "1.0.0"},
        "components": {
            "securitySchemes": {
                "service": {"type": "http", "scheme": "bearer", "description": "the bot's service token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "jiesu_dispatch_session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "NewTicket": {
                    "type": "object",
                    "required": ["sender_id", "text"],
                    "properties": {
                        "channel": {"type": "string"},
                        "sender_id": {"type": "string"},
                        "text": {"type": "string"},
                        "appeal_type": {"enum": ["咨询", "建议", "投诉", "举报", "求助", "表扬"]},
                        "category": category,
                        "address": {"type": ["string", "null"]},
                        "jurisdiction": {"type": ["object", "null"]},
                        "phone": {"type": ["string", "null"]},
                        "anonymous": {"type": "boolean"},
                        "decision": {
                            "type": ["object", "null"],
                            "properties": {
                                "tier": {"enum": list(TIERS)},
                                "units": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                        "nlu": {"type": ["object", "null"]},
                        "idempotency_key": {"type": "string"},
                    },
                },
                "Ticket": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"enum": list(STATUS_LABELS)},
                        "status_label": {"enum": list(STATUS_LABELS.values())},
                        "created_at": {"type": "string", "format": "date-time"},
                        "deadline": {"type": "string", "format": "date-time"},
                        "tier": {"enum": list(TIERS)},
                        "units": {"type": "array", "items": {"type": "string"}},
                        "light": {"enum": ["green", "yellow", "red"]},
                        "events": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
        "paths": {
            "/api/tickets": {
                "post": {
                    "summary": "创建工单（幂等）",
                    "security": [{"service": []}],
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": _ref("NewTicket")}}},
                    "responses": {
                        "201": _json(_ref("Ticket"), "新建"),
                        "200": _json(_ref("Ticket"), "同一幂等键的已有工单"),
                        "400": _ERR,
                        "401": _ERR,
                    },
                }
            },
            "/api/tickets/{ticket_id}": {
                "get": {
                    "summary": "查询工单（市民只能查询本人的工单）",
                    "security": [{"service": []}, {"session": []}],
                    "parameters": [
                        _ID,
                        {"name": "sender_id", "in": "query", "schema": {"type": "string"}},
                        {"name": "phone_last4", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": _json(_ref("Ticket"), "工单及其事件"), "404": _ERR},
                }
            },
            "/api/tickets/{ticket_id}/rating": {
                "post": {
                    "summary": "回访评价：满意 / 基本满意 / 不满意（不满意则重新办理）",
                    "security": [{"service": []}],
                    "parameters": [_ID],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["rating"],
                                    "properties": {
                                        "rating": {"enum": ["满意", "基本满意", "不满意"]},
                                        "comment": {"type": "string"},
                                        "sender_id": {"type": "string"},
                                        "phone_last4": {"type": "string"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"200": _json(_ref("Ticket"), "评价后的工单"), "404": _ERR, "409": _ERR},
                }
            },
            "/api/callbacks": {
                "get": {
                    "summary": "待回访的已办结工单（机器人轮询）",
                    "security": [{"service": []}],
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "{tickets: [...]}"}, "400": _ERR},
                }
            },
            "/api/tickets/{ticket_id}/callback": {
                "post": {
                    "summary": "记录已向市民发出回访（重复调用无副作用）",
                    "security": [{"service": []}],
                    "parameters": [_ID],
                    "responses": {"200": {"description": "{recorded: bool}"}, "404": _ERR},
                }
            },
            "/api/tickets/{ticket_id}/comments": {
                "post": {
                    "summary": "市民对本人工单的意见（由机器人转交）",
                    "security": [{"service": []}],
                    "parameters": [_ID],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["comment"],
                                    "properties": {
                                        "comment": {"type": "string"},
                                        "sender_id": {"type": "string"},
                                        "phone_last4": {"type": "string"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"201": {"description": "{recorded: true}"}, "404": _ERR},
                }
            },
            "/api/tickets/{ticket_id}/actions/{action}": {
                "post": {
                    "summary": "工单操作（状态机）：" + "、".join(a for a in ACTIONS if a != "rate"),
                    "security": [{"session": []}],
                    "parameters": [
                        _ID,
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {"enum": [a for a in ACTIONS if a != "rate"]},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "note": {"type": "string"},
                                        "units": {"type": "array", "items": {"type": "string"}},
                                        "days": {"type": "integer", "minimum": 1, "maximum": 30},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": _json(_ref("Ticket"), "操作后的工单"),
                        "403": _ERR,
                        "404": _ERR,
                        "409": _ERR,
                    },
                }
            },
            "/api/units": {
                "get": {
                    "summary": "单位树",
                    "security": [{"session": []}],
                    "responses": {"200": {"description": "单位列表"}},
                }
            },
            "/api/units/{unit_id}/tickets": {
                "get": {
                    "summary": "本单位工单（主办和协办），按时限排序，带红黄绿灯",
                    "security": [{"session": []}],
                    "parameters": [
                        {"name": "unit_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "all", "in": "query", "schema": {"enum": ["1"]}},
                    ],
                    "responses": {"200": {"description": "工单列表"}, "403": _ERR},
                }
            },
            "/api/queue": {
                "get": {
                    "summary": "待派和已退单的工单",
                    "security": [{"session": []}],
                    "responses": {"200": {"description": "工单列表"}},
                }
            },
            "/api/stats/rates": {
                "get": {
                    "summary": "各单位月度三率与一事一评平均分",
                    "security": [{"session": []}],
                    "parameters": [_MONTH],
                    "responses": {"200": {"description": "三率"}},
                }
            },
            "/api/stats/hotspots": {
                "get": {
                    "summary": "各街道高频问题与治理类街道",
                    "security": [{"session": []}],
                    "parameters": [_MONTH],
                    "responses": {"200": {"description": "热点"}},
                }
            },
        },
    }
