assert isinstance(ANSWERS, dict) and ANSWERS, "write your answers in ANSWERS = {question id: answer, ...}"
