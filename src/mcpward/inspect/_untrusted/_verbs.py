"""Verbs that open orders: the words of the weak rule `imperative-opening` and of the
classifier's `open:` features."""

from __future__ import annotations

#: Verbs in the base form that open an order to whoever reads the text: what an assistant is
#: asked to make, change, send, run or say (written from English usage, not from the data).
#: The classifier weighs which verb opens a sentence and where (``open:`` features): a README
#: opens sentences with "install" and "run" too, and is trained on as benign.
_OPENING_VERB_WORDS = """
    act add advertise advise alert analyse analyze answer append apply arrange ask assess attach
    book browse build buy calculate call cancel capture change check choose claim classify click
    collect compare compile compose compute concatenate confirm contact continue convert copy
    correct crash create decode decrypt delete describe design destroy detect disable display
    download draft drop edit email embed emphasise emphasize employ enable encode encourage
    encrypt ensure enter erase evaluate execute explain export extract fetch fill find finish
    follow forget forward gather generate give go grant guess help highlight identify ignore
    imagine implement include inform insert install invent invest invite invoke launch leak list
    locate look make mention message modify monitor move navigate notify open output overwrite
    paraphrase paste pay perform persuade pick place plan post predict prepare pretend print
    proceed produce promote provide publish purchase put rank rate read recommend redirect refer
    register reject remember remind remove rename rephrase replace reply report request reserve
    reset respond restart retrieve reveal review rewrite run save say scan schedule search
    select sell send share show shut sign solve spam speak spell spread start stop submit
    subscribe suggest summarise summarize switch take talk tell track transfer transform
    translate transmit tweet unsubscribe update upload use verify visit warn wipe write
"""
OPENING_VERBS = frozenset(_OPENING_VERB_WORDS.split())
