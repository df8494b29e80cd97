-- Up Migration

-- The hospital-wide default greeting addresses the patient and names the department and doctor
-- (placeholders filled from the encounter when the greeting is queued, domain/message-template.ts).
-- Only the text as shipped is replaced: an administrator's own wording stays.
UPDATE follow_up_rules
SET greeting_text = '{姓名}您好,感谢您选择我院。您已于{出院日期}从{科室}出院,{医生}医生提醒:请按医嘱服药、注意休息,如有不适请及时就医或拨打医院咨询电话。祝您早日康复!',
    updated_at = now()
WHERE department_code IS NULL AND name = '全院默认:出院第 7 天电话随访'
  AND greeting_text = '您好,感谢您选择我院。出院后请按医嘱服药、注意休息,如有不适请及时就医或拨打医院咨询电话。祝您早日康复!';

-- Down Migration
UPDATE follow_up_rules
SET greeting_text = '您好,感谢您选择我院。出院后请按医嘱服药、注意休息,如有不适请及时就医或拨打医院咨询电话。祝您早日康复!'
WHERE department_code IS NULL AND name = '全院默认:出院第 7 天电话随访'
  AND greeting_text = '{姓名}您好,感谢您选择我院。您已于{出院日期}从{科室}出院,{医生}医生提醒:请按医嘱服药、注意休息,如有不适请及时就医或拨打医院咨询电话。祝您早日康复!';
