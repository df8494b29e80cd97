-- Up Migration

-- The hospital-wide plan every discharge gets when its department has no rule of its own (or its
-- HIS code is not mapped yet): a greeting on discharge day and one call on day 7. Admins edit it.
INSERT INTO question_templates (code, version, department_code, name, questions) VALUES
('general', 1, NULL, '通用出院随访', '[
  {"id": "recovery", "text": "您出院后整体恢复得怎么样?(1 很差 – 5 很好)", "type": "rating", "redFlag": {"op": "lte", "value": 1}},
  {"id": "medication", "text": "是否按医嘱按时服药?", "type": "yes_no", "redFlag": {"op": "eq", "value": false}},
  {"id": "new_symptoms", "text": "出院后是否出现新的不适或症状加重?", "type": "yes_no", "redFlag": {"op": "eq", "value": true}},
  {"id": "satisfaction", "text": "对本次住院服务的满意度(1–5)", "type": "rating"},
  {"id": "comments", "text": "还有什么意见或建议?", "type": "text"}
]'::jsonb);

INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints) VALUES
(NULL, '全院默认:出院第 7 天电话随访',
 '您好,感谢您选择我院。出院后请按医嘱服药、注意休息,如有不适请及时就医或拨打医院咨询电话。祝您早日康复!',
 '[{"offsetDays": 7, "templateCode": "general", "channel": "phone", "maxAttempts": 3, "retryAfterSeconds": 86400}]'::jsonb);

-- Down Migration
DELETE FROM follow_up_rules WHERE department_code IS NULL AND name = '全院默认:出院第 7 天电话随访';
DELETE FROM question_templates WHERE code = 'general' AND version = 1;
